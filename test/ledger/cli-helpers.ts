import { guardInProcess, type InProcessResult } from '../helpers/inprocess.js';

export const guard = (argv: string[], env: NodeJS.ProcessEnv): Promise<InProcessResult> =>
  guardInProcess(argv, { env });
