/**
 * The scope menu's lines: each grant the policy allows for the request, numbered, with the exact
 * scope text the approver signs (src/approval/grant-choices.ts). Pure.
 */
import { commandSegments, wrapSegments, type Line } from '../format.js';
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
