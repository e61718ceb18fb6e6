import { Box, Text } from 'ink';
import type { Line } from '../format.js';
import type { Theme } from '../theme.js';

/** Pre-wrapped styled lines; each is one terminal row (truncated as a safety net, never wrapped again). */
export function Lines({ lines, theme, width }: { lines: Line[]; theme: Theme; width: number }) {
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.length === 0 || line.every((s) => s.text === '')
            ? ' '
            : line.map((s, j) => (
                <Text key={j} {...theme.style(s.style)}>
                  {s.text}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}
