/**
 * The scope menu's and the extension menu's lines: each grant the policy allows for the request, numbered, with the exact
 * scope text the approver signs (src/approval/grant-choices.ts). Pure.
 */
import { commandSegments, wrapSegments, type Line } from '../format.js';
import { grantText } from '../grants.js';
import type { TuiState } from '../model.js';

export function scopeLines(state: TuiState, width: number): Line[] {
  const id = state.pending?.requestId ?? '';
  const view = state.requests[id]?.view;
  const out: Line[] = [[{ text: `Approve ${id} — choose the grant you sign`, style: 'bold' }]];
  if (view !== undefined) out.push(...wrapSegments([{ text: '  ' }, ...commandSegments(view.command)], width, '  '));
  out.push([]);
  (state.choices ?? []).forEach((c, i) => {
    out.push([{ text: `${i + 1}  ${c.label}`, style: 'label' }]);
    if (c.grant !== undefined) out.push(...wrapSegments([{ text: `   ${c.grant.scope}` }], width, '   '));
  });
  out.push([]);
  out.push([{ text: 'Only the grants this request’s rules allow (max_uses / max_ttl) are offered.', style: 'dim' }]);
  return out;
}

/** The extension menu (decision 1100): the grant now, then each choice exactly as it would be signed. */
export function extendLines(state: TuiState, width: number): Line[] {
  const ext = state.extending;
  const id = ext?.requestId ?? '';
  const view = state.requests[id]?.view;
  const out: Line[] = [[{ text: `Extend the grant of ${id} — choose what you sign`, style: 'bold' }]];
  if (view !== undefined) out.push(...wrapSegments([{ text: '  ' }, ...commandSegments(view.command)], width, '  '));
  out.push([]);
  if (ext !== undefined) out.push(...wrapSegments([{ text: `now  ${grantText(ext.from)}` }], width, '     '));
  out.push([]);
  if (ext?.choices === undefined) out.push([{ text: 'reading the bounds of its rule from the daemon…', style: 'dim' }]);
  (ext?.choices ?? []).forEach((c, i) => {
    out.push([{ text: `${i + 1}  ${c.label}`, style: 'label' }]);
    out.push(...wrapSegments([{ text: `   → ${grantText(c.to)}` }], width, '     '));
  });
  out.push([]);
  out.push([
    {
      text: 'Only what the rule allows (max_uses / max_ttl from now) is offered; signed with your approver key.',
      style: 'dim',
    },
  ]);
  return out;
}
