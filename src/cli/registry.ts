/**
 * Every top-level command, in help order. Spec modules are tiny: they declare options and load
 * their implementation lazily.
 */
import type { CommandSpec } from './command.js';
import { execSpec } from './specs/exec.js';

export const commands: CommandSpec[] = [execSpec];
