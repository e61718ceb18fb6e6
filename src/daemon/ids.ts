/** Request ids: `rq-` and 12 hex digits (48 random bits), short enough to type. */
export const REQUEST_ID_PATTERN = /^rq-[0-9a-f]{12}$/;
