/** The real claude client against guard: the shared cases (cases.ts). */
import { clientSuite } from './cases.js';

clientSuite('claude');
