// IPv4 options on receive: net/ipv4/ip_options.c ip_options_compile (each option's length and
// pointer checks; the offending octet goes into an ICMP parameter problem) and ip_input.c
// ip_rcv_options (source routes need accept_source_route).

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { icmp_send } from './icmp.js';
import { ICMP_PARAMETERPROB } from '../../packet/icmp.js';

/** ip_rcv_options: true when the frame was dropped (fate recorded) */
export function ip_rcv_options(net: Net, skb: SkBuff, ctx: FrameCtx): boolean {
  const b = skb.data;
  const nh = skb.network_header;
  const end = nh + ((b[nh] & 0x0f) << 2);
  let p = nh + 20;
  let pp = -1;
  let srr = false;
  let rr = false;
  let ts = false;
  const names: string[] = [];
  loop: while (p < end) {
    const t = b[p];
    if (t === 0) break; // IPOPT_END
    if (t === 1) {
      p++;
      continue;
    }
    const l = end - p;
    if (l < 2) { pp = p; break; }
    const optlen = b[p + 1];
    if (optlen < 2 || optlen > l) { pp = p; break; }
    switch (t) {
      case 137: // SSRR
      case 131: // LSRR
        if (optlen < 3) { pp = p + 1; break loop; }
        if (b[p + 2] < 4) { pp = p + 2; break loop; }
        if (srr) { pp = p; break loop; }
        srr = true;
        names.push(t === 137 ? 'SSRR' : 'LSRR');
        break;
      case 7: // RR
        if (rr) { pp = p; break loop; }
        if (optlen < 3) { pp = p + 1; break loop; }
        if (b[p + 2] < 4) { pp = p + 2; break loop; }
        if (b[p + 2] <= optlen && b[p + 2] + 3 > optlen) { pp = p + 2; break loop; }
        rr = true;
        names.push('RR');
        break;
      case 68: { // TIMESTAMP
        if (ts) { pp = p; break loop; }
        if (optlen < 4) { pp = p + 1; break loop; }
        if (b[p + 2] < 5) { pp = p + 2; break loop; }
        const flg = b[p + 3] & 0x0f;
        if (b[p + 2] <= optlen) {
          if (b[p + 2] + 3 > optlen) { pp = p + 2; break loop; }
          if ((flg === 1 || flg === 3) && b[p + 2] + 7 > optlen) { pp = p + 2; break loop; }
        } else if (flg !== 3 && b[p + 3] >> 4 === 15) { pp = p + 3; break loop; }
        ts = true;
        names.push('TS');
        break;
      }
      case 148: // router alert: only a length under 4 is refused, at the length octet (recorded on 6.18)
        if (optlen < 4) { pp = p + 1; break loop; }
        names.push('RA');
        break;
      case 134:
        ctx.unsupported.push('IPv4 CIPSO option (cipso_v4_validate) not modelled');
        break;
      default:
        names.push(`opt${t}`);
    }
    p += optlen;
  }
  if (pp >= 0) {
    ctx.tracing && ctx.ev('ip_options_compile', `bad option at octet ${pp - nh}`);
    icmp_send(net, skb, ctx, ICMP_PARAMETERPROB, 0, ((pp - nh) << 24) >>> 0);
    ctx.drop('ip_rcv_options', 'IP_INHDR');
    return true;
  }
  ctx.tracing && ctx.ev('ip_options_compile', `options ${names.join(',') || 'none'}`);
  if (srr) {
    const dev = skb.dev!;
    // IN_DEV_SOURCE_ROUTE: all and device must both allow it
    if (!net.conf(4, dev.name, 'accept_source_route')) {
      ctx.tracing && ctx.ev('ip_rcv_options', `source route refused (accept_source_route=0 on ${dev.name})`);
      ctx.drop('ip_rcv_options', 'NOT_SPECIFIED');
      return true;
    }
    ctx.unsupported.push('IPv4 source routing (ip_options_rcv_srr) not modelled');
  }
  return false;
}
