/**
 * Tools whose output is shell set-up code meant for `eval` (agents, version managers, prompts):
 * `eval "$(ssh-agent -s)"`, `eval "$(direnv hook bash)"`. The text they print is their own, not
 * the line's, so evaluating it is judged like running the tool. Only these sub-commands: `pyenv
 * exec`, `fnm exec` and friends run commands and are not set-up.
 */
const SETUP: Record<string, RegExp> = {
  'ssh-agent': /^-[sc]$/,
  direnv: /^(?:hook|export)$/,
  pyenv: /^init$/,
  rbenv: /^init$/,
  nodenv: /^init$/,
  goenv: /^init$/,
  jenv: /^init$/,
  starship: /^init$/,
  zoxide: /^init$/,
  atuin: /^init$/,
  mise: /^activate$/,
  fnm: /^env$/,
  brew: /^shellenv$/,
  opam: /^env$/,
  dircolors: /^-[bc]$/,
  conda: /^shell\.(?:bash|zsh|fish)$/,
};

const SHELLS = /^(?:bash|zsh|fish|sh|-)$/;
const PLAIN = /^[A-Za-z0-9_.=/-]+$/;

/** `[tool, sub, …]`: a shell set-up call with plain literal words (a sub-command it allows). */
export function isShellSetup(words: string[]): boolean {
  const [tool, sub, ...rest] = words;
  const re = tool !== undefined ? SETUP[tool] : undefined;
  if (re === undefined || sub === undefined || !re.test(sub)) return false;
  return rest.every((w) => PLAIN.test(w) && (SHELLS.test(w) || w.startsWith('-')));
}

/** The text of an `eval` argument is exactly `$(tool sub …)` of a shell set-up tool. */
export function shellSetup(text: string): boolean {
  const m = /^\$\(\s*([^()$`;&|<>'"\\]*?)\s*\)$/.exec(text);
  return m !== null && isShellSetup(m[1]!.split(/\s+/));
}
