// The ? screen.
import React from 'react';
import { Box, Text } from 'ink';

export const HELP_LINES = [
  'pktlife timeline — keys',
  '',
  'List                                   Detail (Enter)',
  '  j / ↓     next frame                   j / k / ↓ / ↑   scroll',
  '  k / ↑     previous frame               PgDn / PgUp     scroll a page',
  '  PgDn PgUp a page down / up             ] / [           next / previous frame',
  '  g / G     first / last frame           n / N           next / previous drop',
  '  Enter     journey of the frame         Esc / ← / h     back to the list',
  '  n / N     next / previous drop',
  '  f         flows (Enter: its frames)   c   conntrack -L at the frame',
  '  t         time: relative / absolute  Filter (/): terms are ANDed',
  '  /         filter     Esc clear it        fate=dropped  reason=NO_SOCKET',
  '  ?         this help                      if=eth0  addr=10.0.0.1  port=22',
  '  q Ctrl-C  quit                           proto=tcp  fn=ip_forward  rule=ssh',
  '                                           key!=v  negates, v1,v2 = either',
  '                                           a bare word: address, fate, protocol',
  '                                           or text in the summary;',
  '                                           unsupported: results the model',
  '                                           cannot vouch for (marked ⚠)',
  '',
  'Press any key to return.',
];

export function Help({ width, height }: { width: number; height: number }): React.ReactElement {
  return (
    <Box flexDirection="column" width={width} height={height}>
      {HELP_LINES.slice(0, height).map((l, k) => (
        <Text key={k} bold={k === 0} wrap="truncate-end">
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
