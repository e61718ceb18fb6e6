/** The test policy plus one rule that allows scoped grants (3 uses, 1 h): the scope menu's tests share it. */
import { TEST_POLICY } from '../daemon/helpers.js';

export const SCOPED_POLICY = `${TEST_POLICY}  - id: t.scoped
    description: Test rule that allows scoped grants
    effect: approve
    risk: medium
    match: { program: mark, any_arg: [three-me] }
    approval: { max_uses: 3, max_ttl: 1h }
`;
