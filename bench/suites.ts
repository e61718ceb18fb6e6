export interface Suite {
  name: string;
  run(): Promise<void>;
}

import { startupSuite } from './startup.js';

export const suites: Suite[] = [startupSuite];
