/** The real codex client against guard: the shared cases (cases.ts). */
import { clientSuite } from './cases.js';

clientSuite('codex');
