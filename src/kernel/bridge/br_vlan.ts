// VLAN filtering on a bridge (net/bridge/br_vlan.c): ingress classification and filter,
// egress membership and untagging. Only active when the bridge has vlan_filtering 1.

import type { FrameCtx } from '../ctx.js';
import type { SkBuff } from '../skbuff.js';
import { skb_vlan_untag } from '../core/vlan.js';
import { BR_STATE_FORWARDING, type BridgeRt, type BrInputCb, type VlanGroup } from './br_private.js';

/**
 * br_allowed_ingress(br, vg, skb, &vid, &state): false when the frame is dropped (kfree_skb,
 * NOT_SPECIFIED: the kernel gives no reason here). Untagged and priority-tagged frames take the
 * port's PVID; a port without PVID drops them; a tagged frame needs its VID on the port.
 */
export function br_allowed_ingress(br: BridgeRt, vg: VlanGroup, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx, fn: string, settle = true): boolean {
  // settle=false: a frame the host itself sends (br_dev_xmit); its loss is an event, not the fate
  const drop = (why: string) => {
    if (settle) ctx.drop(fn, 'NOT_SPECIFIED', { dev: skb.dev?.name, detail: { why } });
    else ctx.tracing && ctx.ev(fn, `not sent: ${why}`, { dev: skb.dev?.name });
  };
  if (!br.vlanEnabled) { cb.vlanFiltered = false; cb.vid = 0; return true; }
  cb.vlanFiltered = true;
  if (!skb.vlan_present && skb.protocol === br.vlanProto) skb_vlan_untag(skb);
  let vid = 0;
  let tagged = false;
  if (skb.vlan_present) {
    vid = skb.vlan_tci & 0x0fff;
    if (skb.vlan_proto !== br.vlanProto) {
      // protocol mismatch: the tag goes back into the payload; the frame counts as untagged
      ctx.tracing && ctx.ev(fn, `tag protocol 0x${skb.vlan_proto.toString(16)} is not the bridge's 0x${br.vlanProto.toString(16)}: treated as untagged`);
      vid = 0;
    } else tagged = true;
  }
  if (!vid) {
    if (!vg.pvid) {
      drop(`${tagged ? 'priority-tagged' : 'untagged'} frame and the port has no PVID`);
      return false;
    }
    vid = vg.pvid;
    cb.vid = vid;
    if (!tagged) { skb.vlan_present = true; skb.vlan_proto = br.vlanProto; skb.vlan_tci = vid; }
    else skb.vlan_tci |= vid;
    ctx.tracing && ctx.ev(fn, `${tagged ? 'priority-tagged' : 'untagged'} frame classified to PVID ${vid}`, { dev: skb.dev?.name });
    return true;
  }
  if (!vg.vids.has(vid)) {
    drop(`VLAN ${vid} is not configured on ${skb.dev?.name}`);
    return false;
  }
  cb.vid = vid;
  ctx.tracing && ctx.ev(fn, `tagged VLAN ${vid} allowed`, { dev: skb.dev?.name });
  return true;
}

/** br_allowed_egress(vg, skb): the egress port must be a member of the frame's VLAN */
export function br_allowed_egress(vg: VlanGroup, cb: BrInputCb): boolean {
  return !cb.vlanFiltered || vg.vids.has(cb.vid);
}

/** br_handle_vlan: whether the frame leaves `port` tagged ("tagged vid N") or untagged */
export function br_handle_vlan(vg: VlanGroup, cb: BrInputCb): string {
  if (!cb.vlanFiltered) return '';
  const v = vg.vids.get(cb.vid);
  return v?.untagged ? `untagged (VLAN ${cb.vid})` : `tagged VLAN ${cb.vid}`;
}

export { BR_STATE_FORWARDING };
