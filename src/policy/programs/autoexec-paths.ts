/**
 * Where files that other programs run later live (issue 22, decision 0124). No imports: the agent
 * hooks use it to decide whether a file tool's text must be judged, without loading the parser.
 */
export type AutoExecKind =
  | 'make'
  | 'git-hook'
  | 'shell-rc'
  | 'python'
  | 'package-json'
  | 'aws-config'
  | 'kubeconfig'
  | 'ssh-config'
  | 'git-config';

const SHELL_RC = new Set([
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
  '.kshrc',
  '.mkshrc',
  '.envrc',
  'bash.bashrc',
  'config.fish',
]);

/** The kind of auto-executed file a normalised absolute path is, if any. */
export function autoExecKind(path: string): AutoExecKind | undefined {
  const p = path.replace(/\/+$/, '');
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (/\/\.git\/hooks(?:\/|$)|\/\.husky\/[^/_][^/]*$/.test(p)) return 'git-hook';
  if (base === 'Makefile' || base === 'makefile' || base === 'GNUmakefile' || base.endsWith('.mk')) return 'make';
  if (SHELL_RC.has(base) || /^\/etc\/(?:profile(?:\.d\/.*)?|bash\.bashrc|zsh\/.*|environment)$/.test(p))
    return 'shell-rc';
  if (base === 'conftest.py' || base === 'sitecustomize.py' || base === 'usercustomize.py' || base.endsWith('.pth'))
    return 'python';
  if (base === 'package.json') return 'package-json';
  if (p.endsWith('/.aws/config')) return 'aws-config';
  if (p.endsWith('/.kube/config')) return 'kubeconfig';
  if (p.endsWith('/.ssh/config') || /^\/etc\/ssh\/ssh_config(?:\.d\/.*)?$/.test(p)) return 'ssh-config';
  if (p.endsWith('/.git/config') || base === '.gitconfig' || p.endsWith('/.config/git/config')) return 'git-config';
  return undefined;
}
