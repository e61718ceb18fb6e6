/**
 * The web approval page's HTML: server-rendered, no script, one stylesheet from the page's own
 * origin. Every piece of request text goes through `esc` (after `visibleText` or the TUI's detail
 * lines, which already write invisible and bidi characters out as <U+XXXX>).
 */
import type { RequestDetail } from '../daemon/messages.js';
import type { LiveGrant } from '../channels/types.js';
import { detailLines } from '../tui/detail.js';
import { oneLine, riskLabel } from '../tui/format.js';
import { offeredChoices } from '../channels/scope-choice.js';
import { visibleText } from '../util/visible.js';

/** HTML-escapes text for element content and double-quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const STYLE = `*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#111;background:#f6f6f6}
main{max-width:48rem;margin:0 auto;padding:12px}
h1{font-size:1.2rem;margin:.4rem 0}
.who{color:#555;font-size:.9rem}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px;margin:10px 0}
.card a{display:block;color:inherit;text-decoration:none}.card a.inline{display:inline;text-decoration:underline}
.cmd,pre{font:14px/1.35 ui-monospace,monospace;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-all;margin:0}
pre{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px}
.s-label{font-weight:600}.s-dim{color:#666}.s-bold{font-weight:700}
.s-redacted{background:#eee;color:#555;font-style:italic}.s-match{background:#fde2e2;color:#900;font-weight:700}
.s-risk-high,.s-risk-critical{color:#b00;font-weight:700}.s-risk-medium{color:#a60}.s-warn{color:#a60;font-weight:700}
form{margin:10px 0;background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px}
textarea{width:100%;min-height:3.5rem;font:inherit;padding:6px}
button{width:100%;min-height:44px;font:inherit;font-weight:700;border:0;border-radius:8px;margin-top:6px;color:#fff;background:#333}
button.approve{background:#1a7f37}button.deny{background:#b42318}button.ask{background:#555}
.msg{padding:10px;border-radius:8px;background:#fff;border:1px solid #ddd}.err{border-color:#b42318}
fieldset{border:0;margin:0;padding:0}label.choice{display:flex;gap:8px;align-items:flex-start;min-height:44px;padding:6px 0}label.choice input{min-width:22px;min-height:22px}
`;

export function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/approve/style.css">${head}
</head><body><main>
${body}
</main></body></html>
`;
}

export function message(title: string, text: string, opts: { error?: boolean; link?: string } = {}): string {
  return layout(
    title,
    `<h1>${esc(title)}</h1><p class="msg${opts.error === true ? ' err' : ''}">${esc(text)}</p>${
      opts.link === undefined ? '' : `<p><a href="${esc(opts.link)}">Back to the pending requests</a></p>`
    }`,
  );
}

export function signInPage(): string {
  return layout(
    'guard approvals',
    `<h1>guard approvals</h1><p>Sign in with your identity provider to see the requests waiting for you.</p>
<p><a href="/approve/login">Sign in</a></p>`,
  );
}

export function listPage(
  approver: string,
  pending: RequestDetail[],
  csrf: string,
  grants: LiveGrant[] = [],
  /** Link each agent session's batch page (the daemon's page only, decision 1113). */
  batches = false,
): string {
  const cards = pending.map((d) => {
    const v = d.view;
    return `<div class="card"><a href="/approve/r/${esc(encodeURIComponent(v.id))}"><strong>${esc(v.id)}</strong> · ${esc(
      riskLabel(v.risk),
    )} · ${esc(v.requester.user)}<div class="cmd">${esc(oneLine(v.command))}</div></a></div>`;
  });
  return layout(
    'guard approvals',
    `<h1>Waiting for approval</h1><p class="who">Signed in as ${esc(approver)}</p>
${cards.length === 0 ? '<p class="msg">Nothing is waiting for approval.</p>' : cards.join('\n')}
${batches ? sessionsSection(pending) : ''}
${grantsSection(grants, csrf)}
<form method="post" action="/approve/logout"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Sign out</button></form>`,
  );
}

/** A link per agent session with open requests: its batch page (decision 1113). */
function sessionsSection(pending: RequestDetail[]): string {
  const counts = new Map<string, number>();
  for (const d of pending)
    if (d.view.session !== undefined && d.view.session !== '')
      counts.set(d.view.session, (counts.get(d.view.session) ?? 0) + 1);
  if (counts.size === 0) return '';
  const links = [...counts].map(
    ([s, n]) =>
      `<div class="card"><a class="session" href="${esc(sessionPath(s))}">Review all ${n} request${n === 1 ? '' : 's'} of agent session ${esc(s)}</a></div>`,
  );
  return `<h2>By agent session</h2>\n${links.join('\n')}`;
}

/**
 * The approved grants still usable (decisions 1092, 1093): each with its uses left and expiry, an
 * Extend form naming the grant as shown and the most the rule allows (only when the daemon's
 * `extendOffer` allows one), and a Revoke form. Nothing when no grant is live.
 */
function grantsSection(grants: LiveGrant[], csrf: string): string {
  if (grants.length === 0) return '';
  const cards = grants.map(({ view: v, grant: g }) => {
    const action = `/approve/g/${esc(encodeURIComponent(v.id))}`;
    const token = `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
    const o = v.extendOffer;
    const extend =
      o === undefined
        ? ''
        : `<form method="post" action="${action}">${token}<input type="hidden" name="action" value="extend"><input type="hidden" name="from_uses" value="${o.from.usesLeft}"><input type="hidden" name="from_expires" value="${esc(o.from.expiresAt)}"><input type="hidden" name="to_uses" value="${o.to.usesLeft}"><input type="hidden" name="to_expires" value="${esc(o.to.expiresAt)}"><p class="offer">Extend to ${o.to.usesLeft} use(s) left, until ${esc(o.to.expiresAt)}</p><button class="approve" type="submit">Extend</button></form>`;
    return `<div class="card grant" id="grant-${esc(v.id)}"><strong>${esc(v.id)}</strong> · ${esc(v.requester.user)}<div class="cmd">${esc(
      oneLine(v.command),
    )}</div><p class="uses">${g.usesLeft} use(s) left, until ${esc(g.expiresAt)}</p>${extend}<form method="post" action="${action}">${token}<input type="hidden" name="action" value="revoke"><button class="deny" type="submit">Revoke</button></form></div>`;
  });
  return `<h2>Live grants</h2>\n${cards.join('\n')}`;
}

/**
 * The grants the rule allows, as radio buttons in the approve form: "once" checked, each wider one
 * labelled with its exact scope text (decision 1089). Nothing when the rule allows no scope.
 */
function scopeFieldset(d: RequestDetail): string {
  const choices = offeredChoices(d.view);
  if (choices.length < 2) return '';
  const options = choices.map((c, i) => {
    const text =
      c.grant === undefined
        ? esc(c.label)
        : `<strong>${esc(c.label)}</strong>: <span class="cmd">${esc(visibleText(c.grant.scope))}</span>`;
    return `<label class="choice"><input type="radio" name="scope" value="${esc(c.token)}"${i === 0 ? ' checked' : ''}><span>${text}</span></label>`;
  });
  return `<fieldset><legend>Grant (exactly what approving grants)</legend>${options.join('')}</fieldset>`;
}

/** A request in full: the TUI detail pane's lines (never cut), styled, then its fingerprint. */
function detailHtml(d: RequestDetail, now: number): string {
  const lines = detailLines(d.view, { width: 100_000, now })
    .map((line) =>
      line
        .map((seg) =>
          seg.style === undefined ? esc(seg.text) : `<span class="s-${seg.style}">${esc(seg.text)}</span>`,
        )
        .join(''),
    )
    .join('\n');
  return `${lines}\nfingerprint ${esc(d.fingerprint)}`;
}

/** The session batch page's address (decision 1113). */
export const sessionPath = (session: string): string => `/approve/s/${encodeURIComponent(session)}`;

/**
 * The open requests of one agent session (decision 1113), each in full, and one Approve all / Deny
 * all form naming every request shown with the hash of the view shown: the page turns it into one
 * vote per request, each checked by the daemon as a single decision. A step-up request is shown but
 * left out of Approve all (it needs its own fresh login, on its own page).
 */
export function sessionPage(
  approver: string,
  session: string,
  pending: { detail: RequestDetail; viewHash: string }[],
  csrf: string,
  now: number,
): string {
  const cards = pending.map(({ detail: d }, i) => {
    const own = `/approve/r/${esc(encodeURIComponent(d.view.id))}`;
    const note =
      d.stepUp === true
        ? `<p class="msg" id="step-up-${esc(d.view.id)}">Not part of Approve all: this rule needs a fresh login. <a href="${own}">Approve it on its own page</a>.</p>`
        : '';
    return `<div class="card" id="req-${esc(d.view.id)}"><strong>${i + 1} of ${pending.length}</strong> · <a class="inline" href="${own}">${esc(d.view.id)}</a>${note}<pre>${detailHtml(d, now)}</pre></div>`;
  });
  const fields = (only: (d: RequestDetail) => boolean) =>
    `<input type="hidden" name="csrf" value="${esc(csrf)}">${pending
      .filter((p) => only(p.detail))
      .map(
        (p) =>
          `<input type="hidden" name="r" value="${esc(p.detail.view.id)}"><input type="hidden" name="v:${esc(p.detail.view.id)}" value="${esc(p.viewHash)}">`,
      )
      .join('')}`;
  const approvable = pending.filter((p) => p.detail.stepUp !== true).length;
  const action = esc(sessionPath(session));
  return layout(
    `guard session ${session}`,
    `<h1>Agent session ${esc(session)}: ${pending.length} request${pending.length === 1 ? '' : 's'}</h1><p class="who">Signed in as ${esc(approver)} · <a href="/approve/">all requests</a></p>
<p class="msg">Only the requests shown here are decided, each on its own (one vote per request, bound to the view shown). A request of this session that arrives later is not included: reload to review it.</p>
${cards.join('\n')}
${
  approvable === 0
    ? ''
    : `<form method="post" action="${action}">${fields((d) => d.stepUp !== true)}<input type="hidden" name="action" value="approve"><button class="approve" type="submit">Approve all ${approvable}</button></form>`
}
<form method="post" action="${action}">${fields(() => true)}<input type="hidden" name="action" value="deny"><label>Reason (every requester is told)<textarea name="reason" required maxlength="2000"></textarea></label><button class="deny" type="submit">Deny all ${pending.length}</button></form>`,
  );
}

/** The full context (the TUI detail pane's lines, never cut) and the three decision forms. */
export function detailPage(
  approver: string,
  d: RequestDetail,
  viewHash: string,
  csrf: string,
  now: number,
  /** Where a step-up approval must be made instead, when this page cannot take it (the hub's). */
  stepUpElsewhere?: string,
): string {
  const action = `/approve/r/${esc(encodeURIComponent(d.view.id))}`;
  const hidden = `<input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="view" value="${esc(viewHash)}">`;
  const stepUp =
    d.stepUp === true ? '<p class="who">Approving asks you to sign in again (this rule needs a fresh login).</p>' : '';
  return layout(
    `guard ${d.view.id}`,
    `<h1>${esc(d.view.id)}</h1><p class="who">Signed in as ${esc(approver)} · <a href="/approve/">all requests</a></p>
<pre id="detail">${detailHtml(d, now)}</pre>
${
  d.stepUp === true && stepUpElsewhere !== undefined
    ? `<p class="msg" id="step-up">${esc(stepUpElsewhere)}</p>`
    : `<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="approve">${stepUp}${scopeFieldset(d)}<button class="approve" type="submit">Approve</button></form>`
}
<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="deny"><label>Reason (the requester is told)<textarea name="reason" required maxlength="2000"></textarea></label><button class="deny" type="submit">Deny</button></form>
<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="ask"><label>Question for the requester<textarea name="question" required maxlength="2000"></textarea></label><button class="ask" type="submit">Ask</button></form>`,
  );
}

/** After a sign-in: continue with a same-site navigation, so that the SameSite=Strict cookie is sent. */
export function continuePage(to: string): string {
  return layout(
    'guard approvals',
    `<h1>Signed in</h1><p><a href="${esc(to)}">Continue</a></p>`,
    `<meta http-equiv="refresh" content="0;url=${esc(to)}">`,
  );
}
