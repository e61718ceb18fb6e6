// Real pictures of what an approver sees, generated from the test fixtures so they never go stale:
//   TUI (list, detail, history): the real Screen in tmux at 120×40 → capture-pane -e → HTML → PNG
//   Slack message and Teams card: the real rendered JSON → an HTML approximation (labelled as
//   such: the platforms draw them, not us) → PNG
// PNGs are taken by headless Chromium (/usr/bin/chromium, or CHROMIUM) with a fresh profile.
// Usage: node scripts/screenshots.mjs   (writes docs/img/*.png; needs tmux and chromium)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleOptions } from './bundle-options.mjs';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'docs', 'img');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const work = mkdtempSync(join(root, '.screenshots-')); // inside the project: bare imports resolve
const socket = `guard-shots-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

/** Run the frame in a tmux pane of the given size and return the screen with its colours. */
function capture(entry, mode, columns, rows) {
  tmux(
    'new-session',
    '-d',
    '-s',
    mode,
    '-x',
    String(columns),
    '-y',
    String(rows),
    '-e',
    'FORCE_COLOR=3',
    `${process.execPath} ${entry} tui ${mode}`,
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = tmux('capture-pane', '-p', '-t', mode);
    if (/guard · (requests|history)/.test(text) && /quit/.test(text)) break; // header and footer drawn
    if (Date.now() > deadline) throw new Error(`the ${mode} frame never appeared:\n${text}`);
    execFileSync('sleep', ['0.2']); // a picture script, not a test: poll the pane
  }
  const ansi = tmux('capture-pane', '-p', '-e', '-t', mode);
  tmux('kill-session', '-t', mode);
  return ansi;
}

function shoot(html, name, width, height) {
  const file = join(work, `${name}.html`);
  writeFileSync(file, html);
  const profile = mkdtempSync(join(tmpdir(), 'guard-shots-profile-'));
  try {
    execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        `--screenshot=${join(outDir, name)}`,
        `file://${file}`,
      ],
      { stdio: 'ignore' },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`docs/img/${name}: ${readFileSync(join(outDir, name)).length} bytes`);
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const PALETTE = ['#1d1f21', '#cc6666', '#b5bd68', '#f0c674', '#81a2be', '#b294bb', '#8abeb7', '#c5c8c6'];
const BRIGHT = ['#666666', '#ff7b7b', '#d7e08a', '#ffe08a', '#a3c4e6', '#d3b4dd', '#a9e0d8', '#ffffff'];

/** SGR colour codes to styled spans (the subset Ink writes). */
function ansiToHtml(text) {
  let st = {};
  let out = '';
  const span = (t) => {
    if (t === '') return;
    let fg = st.fg ?? '#c5c8c6';
    let bg = st.bg;
    if (st.inverse) [fg, bg] = [bg ?? '#1d1f21', fg];
    const css = [
      `color:${fg}`,
      bg ? `background:${bg}` : '',
      st.bold ? 'font-weight:bold' : '',
      st.dim ? 'opacity:.6' : '',
      st.underline ? 'text-decoration:underline' : '',
    ]
      .filter(Boolean)
      .join(';');
    out += `<span style="${css}">${esc(t)}</span>`;
  };
  // eslint-disable-next-line no-control-regex -- the escape sequences are what is being parsed
  const re = /\u001b\[([0-9;]*)m/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    span(text.slice(last, m.index));
    last = m.index + m[0].length;
    const codes = (m[1] === '' ? '0' : m[1]).split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) st = {};
      else if (c === 1) st.bold = true;
      else if (c === 2) st.dim = true;
      else if (c === 4) st.underline = true;
      else if (c === 7) st.inverse = true;
      else if (c === 22) st.bold = st.dim = false;
      else if (c === 24) st.underline = false;
      else if (c === 27) st.inverse = false;
      else if (c >= 30 && c <= 37) st.fg = PALETTE[c - 30];
      else if (c === 39) st.fg = undefined;
      else if (c >= 40 && c <= 47) st.bg = PALETTE[c - 40];
      else if (c === 49) st.bg = undefined;
      else if (c >= 90 && c <= 97) st.fg = BRIGHT[c - 90];
      else if (c >= 100 && c <= 107) st.bg = BRIGHT[c - 100];
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) i += 2;
      else if ((c === 38 || c === 48) && codes[i + 1] === 2) i += 4;
    }
  }
  span(text.slice(last));
  return out;
}

function terminalHtml(ansi, title) {
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<body style="margin:0;background:#1d1f21"><pre style="margin:0;padding:10px;font:12.5px/1.25 'DejaVu Sans Mono',monospace;color:#c5c8c6">${ansiToHtml(ansi.replace(/\n+$/, ''))}</pre></body>`;
}

const LABEL = (what) =>
  `<div style="font:12px sans-serif;color:#8a8a8a;margin-bottom:8px">HTML approximation of the ${what} guard sends (rendered from the real payload; the platform draws the real one)</div>`;

/** Slack mrkdwn (as guard writes it: code spans, fences, *bold*, _italic_) to HTML. */
function mrkdwn(t) {
  const parts = t.split('```');
  return parts
    .map((p, i) => {
      const text = p.replace(/\u200b/g, '');
      if (i % 2 === 1)
        return `<pre style="background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:6px;white-space:pre-wrap;word-break:break-all;font-size:12px;margin:4px 0">${text}</pre>`;
      return text
        .replace(
          /`([^`]*)`/g,
          '<code style="background:#f3f3f3;border:1px solid #e2e2e2;border-radius:3px;color:#c7254e;padding:0 3px">$1</code>',
        )
        .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
        .replace(/(^|\s)_([^_\n]+)_/g, '$1<i>$2</i>')
        .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
        .replace(/\n/g, '<br>');
    })
    .join('');
}

function slackHtml(msg) {
  const blocks = msg.blocks.map((b) => {
    if (b.type === 'header')
      return `<div style="font-size:18px;font-weight:bold;margin:4px 0 8px">${esc(b.text.text)}</div>`;
    if (b.type === 'section') return `<div style="margin:6px 0">${mrkdwn(b.text.text)}</div>`;
    if (b.type === 'context')
      return `<div style="color:#616061;font-size:12px;margin:8px 0">${mrkdwn(b.elements.map((e) => e.text).join(' '))}</div>`;
    if (b.type === 'actions')
      return `<div style="margin-top:8px">${b.elements.map((e) => `<span style="display:inline-block;border:1px solid #bbb;border-radius:4px;padding:4px 12px;margin-right:6px;font-weight:bold;${e.style === 'primary' ? 'background:#007a5a;color:#fff;border-color:#007a5a' : e.style === 'danger' ? 'color:#e01e5a' : ''}">${esc(e.text.text)}</span>`).join('')}</div>`;
    return '';
  });
  return `<!doctype html><meta charset="utf-8"><body style="margin:0;padding:16px;font:14px/1.45 Lato,'DejaVu Sans',sans-serif;color:#1d1c1d;background:#fff">
${LABEL('Slack message')}<div style="display:flex;gap:10px"><div style="width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;font-weight:bold;display:flex;align-items:center;justify-content:center">g</div>
<div style="flex:1"><b>guard</b> <span style="color:#616061;font-size:12px">APP</span>${blocks.join('')}
${msg.threadParts.length > 0 ? `<div style="color:#1264a3;font-size:13px;margin-top:6px">${msg.threadParts.length} replies in thread</div>` : ''}</div></div></body>`;
}

function teamsHtml(card) {
  const run = (r) => {
    const css = [
      r.weight === 'Bolder' ? 'font-weight:bold' : '',
      r.isSubtle ? 'color:#707070' : '',
      r.fontType === 'Monospace' ? "font-family:'DejaVu Sans Mono',monospace;font-size:12px" : '',
      r.color === 'Attention' ? 'color:#c4314b' : '',
      r.size === 'Small' ? 'font-size:11px' : '',
    ]
      .filter(Boolean)
      .join(';');
    return `<span style="${css};white-space:pre-wrap;word-break:break-all">${esc(r.text.replace(/\u200b/g, ''))}</span>`;
  };
  const body = card.body.map((e) => {
    if (e.type === 'TextBlock')
      return `<div style="font-weight:bold;${e.size === 'Medium' ? 'font-size:17px;' : ''}margin:${e.spacing ? '12px' : '4px'} 0 4px">${esc(e.text)}</div>`;
    if (e.type === 'RichTextBlock') return `<div style="margin:3px 0">${e.inlines.map(run).join('')}</div>`;
    return '';
  });
  return `<!doctype html><meta charset="utf-8"><body style="margin:0;padding:16px;font:14px/1.45 'Segoe UI','DejaVu Sans',sans-serif;background:#f5f5f5;color:#242424">
${LABEL('Teams Adaptive Card')}<div style="background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:14px 16px;max-width:680px">${body.join('')}</div></body>`;
}

// last: the helpers above are initialised by now
await (async () => {
  try {
    const entry = join(work, 'frames.js');
    await build({
      entryPoints: { frames: join(root, 'scripts', 'screenshots', 'frames.tsx') },
      outdir: work,
      outExtension: { '.js': '.js' },
      splitting: true, // Ink's devtools (and its optional dependency) stay in a chunk nobody loads
      bundle: true,
      format: 'esm',
      platform: 'node',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      external: bundleOptions.external, // the same native and optional modules as the CLI's bundle
      logLevel: 'warning',
    });

    for (const mode of ['list', 'detail', 'history']) {
      const ansi = capture(entry, mode, 120, 40);
      shoot(terminalHtml(ansi, `guard tui — ${mode} (120×40)`), `tui-${mode}.png`, 1000, 700);
    }
    const slack = JSON.parse(execFileSync(process.execPath, [entry, 'slack'], { encoding: 'utf8' }));
    shoot(slackHtml(slack), 'slack-message.png', 820, 560);
    const card = JSON.parse(execFileSync(process.execPath, [entry, 'teams'], { encoding: 'utf8' }));
    shoot(teamsHtml(card), 'teams-card.png', 760, 560);
  } finally {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left
    }
    rmSync(work, { recursive: true, force: true });
  }
})();
