import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { flagValue, parseIni, readSmall } from './fsutil.js';
import type { Env } from './types.js';

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/** AWS profile and region: argv, env, then the profile's region in ~/.aws/config (AWS_CONFIG_FILE). */
export async function awsInfo(
  env: Env,
  argv: string[],
  readFiles: boolean,
): Promise<{ profile?: string; region?: string } | undefined> {
  const profile =
    flagValue(argv, ['--profile']) ?? nonEmpty(env['AWS_PROFILE']) ?? nonEmpty(env['AWS_DEFAULT_PROFILE']);
  let region = flagValue(argv, ['--region']) ?? nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']);
  if (region === undefined && readFiles) {
    const file =
      nonEmpty(env['AWS_CONFIG_FILE']) ?? (env['HOME'] === undefined ? undefined : join(env['HOME'], '.aws', 'config'));
    const ini = file === undefined ? undefined : await readSmall(file);
    if (ini !== undefined) {
      const cfg = parseIni(ini);
      const section = profile === undefined || profile === 'default' ? 'default' : `profile ${profile}`;
      region = nonEmpty(cfg.get(section)?.get('region'));
    }
  }
  if (profile === undefined && region === undefined) return undefined;
  return { ...(profile === undefined ? {} : { profile }), ...(region === undefined ? {} : { region }) };
}

/** gcloud project: argv, CLOUDSDK_CORE_PROJECT, then the active configuration file. */
export async function gcloudInfo(
  env: Env,
  argv: string[],
  readFiles: boolean,
): Promise<{ project?: string } | undefined> {
  let project = flagValue(argv, ['--project']) ?? nonEmpty(env['CLOUDSDK_CORE_PROJECT']);
  if (project === undefined && readFiles) {
    const dir =
      nonEmpty(env['CLOUDSDK_CONFIG']) ??
      (env['HOME'] === undefined ? undefined : join(env['HOME'], '.config', 'gcloud'));
    if (dir !== undefined) {
      const active =
        nonEmpty(env['CLOUDSDK_ACTIVE_CONFIG_NAME']) ??
        nonEmpty((await readSmall(join(dir, 'active_config'), 4096))?.trim()) ??
        'default';
      if (/^[A-Za-z0-9._-]{1,100}$/.test(active)) {
        const ini = await readSmall(join(dir, 'configurations', `config_${active}`));
        if (ini !== undefined) project = nonEmpty(parseIni(ini).get('core')?.get('project'));
      }
    }
  }
  return project === undefined ? undefined : { project };
}

/** Terraform workspace: TF_WORKSPACE, else `<dir>/.terraform/environment` (dir from -chdir=, TF_DATA_DIR honoured). */
export async function terraformInfo(
  env: Env,
  argv: string[],
  cwd: string,
  readFiles: boolean,
): Promise<{ workspace?: string } | undefined> {
  const fromEnv = nonEmpty(env['TF_WORKSPACE']);
  if (fromEnv !== undefined) return { workspace: fromEnv };
  if (!readFiles) return undefined;
  const chdir = argv.find((a) => a.startsWith('-chdir='))?.slice(7);
  const dir = resolve(cwd, chdir ?? '.');
  const dataDir = resolve(dir, nonEmpty(env['TF_DATA_DIR']) ?? '.terraform');
  const ws = (await readSmall(join(dataDir, 'environment'), 4096))?.trim();
  if (ws !== undefined && /^[A-Za-z0-9._-]{1,90}$/.test(ws)) return { workspace: ws };
  // an initialised directory without an environment file is on the default workspace
  const st = await stat(dataDir).catch(() => undefined);
  return st?.isDirectory() === true ? { workspace: 'default' } : undefined;
}
