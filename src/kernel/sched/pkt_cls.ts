// include/uapi/linux/pkt_cls.h: the TC verdicts classifiers and actions return, and their names.

export const TC_ACT_UNSPEC = -1;
export const TC_ACT_OK = 0;
export const TC_ACT_RECLASSIFY = 1;
export const TC_ACT_SHOT = 2;
export const TC_ACT_PIPE = 3;
export const TC_ACT_STOLEN = 4;
export const TC_ACT_QUEUED = 5;
export const TC_ACT_REPEAT = 6;
export const TC_ACT_REDIRECT = 7;
export const TC_ACT_TRAP = 8;
/** net/sch_generic.h: the skb was handed on (mirred without a clone); the caller must not free it */
export const TC_ACT_CONSUMED = 9;
export const TC_ACT_JUMP = 0x10000000;
export const TC_ACT_GOTO_CHAIN = 0x20000000;
export const TC_ACT_EXT_OPCODE_MAX = 0xf0000000;

/** tc's names (tc/tc_util.c action_n2a) -> the verdict */
export function controlCode(name: string, arg = 0): number | null {
  switch (name) {
    case 'continue': return TC_ACT_UNSPEC;
    case 'pass': case 'ok': return TC_ACT_OK;
    case 'reclassify': return TC_ACT_RECLASSIFY;
    case 'drop': case 'shot': return TC_ACT_SHOT;
    case 'pipe': return TC_ACT_PIPE;
    case 'stolen': return TC_ACT_STOLEN;
    case 'trap': return TC_ACT_TRAP;
    case 'goto': return TC_ACT_GOTO_CHAIN | (arg & 0x0fffffff);
    case 'jump': return TC_ACT_JUMP | (arg & 0x0fffffff);
    default: return null;
  }
}

export function verdictName(r: number): string {
  if (r === TC_ACT_UNSPEC) return 'TC_ACT_UNSPEC';
  if ((r & 0xf0000000) === TC_ACT_GOTO_CHAIN) return `goto chain ${r & 0x0fffffff}`;
  if ((r & 0xf0000000) === TC_ACT_JUMP) return `jump ${r & 0x0fffffff}`;
  return ['TC_ACT_OK', 'TC_ACT_RECLASSIFY', 'TC_ACT_SHOT', 'TC_ACT_PIPE', 'TC_ACT_STOLEN', 'TC_ACT_QUEUED', 'TC_ACT_REPEAT', 'TC_ACT_REDIRECT', 'TC_ACT_TRAP', 'TC_ACT_CONSUMED'][r] ?? `TC verdict ${r}`;
}
