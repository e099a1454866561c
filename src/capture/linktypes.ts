// LINKTYPE_* numbers (as written in pcap/pcapng files) -> libpcap names, as
// pcap_datalink_val_to_name() prints them (without the "DLT_" prefix).
//
// Link types 12 and 14: libpcap's linktype_to_dlt() (pcap-common.c) passes values
// outside its map through unchanged, so a file holding 12 or 14 yields that DLT,
// which is DLT_RAW on the platform that wrote it (12 on most systems, 14 on OpenBSD;
// Wireshark's wiretap reads both as raw IP too). We keep the number as written and
// name both "RAW"; isRawIp() lets decoders treat 12/14/101 alike.

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  2: 'EN3MB',
  3: 'AX25',
  4: 'PRONET',
  5: 'CHAOS',
  6: 'IEEE802',
  7: 'ARCNET',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_SERIAL',
  51: 'PPP_ETHER',
  99: 'SYMANTEC_FIREWALL',
  100: 'ATM_RFC1483',
  101: 'RAW',
  102: 'SLIP_BSDOS',
  103: 'PPP_BSDOS',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  106: 'ATM_CLIP',
  107: 'FRELAY',
  108: 'LOOP',
  109: 'ENC',
  113: 'LINUX_SLL',
  114: 'LTALK',
  117: 'PFLOG',
  119: 'PRISM_HEADER',
  122: 'IP_OVER_FC',
  123: 'SUNATM',
  127: 'IEEE802_11_RADIO',
  129: 'ARCNET_LINUX',
  132: 'JUNIPER_ES',
  137: 'JUNIPER_ATM1',
  138: 'APPLE_IP_OVER_IEEE1394',
  139: 'MTP2_WITH_PHDR',
  140: 'MTP2',
  141: 'MTP3',
  142: 'SCCP',
  143: 'DOCSIS',
  144: 'LINUX_IRDA',
  149: 'USER2',
  160: 'USER13',
  163: 'IEEE802_11_RADIO_AVS',
  164: 'JUNIPER_MONITOR',
  165: 'BACNET_MS_TP',
  166: 'PPP_PPPD',
  178: 'JUNIPER_ETHER',
  182: 'MFR',
  187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  196: 'SITA',
  197: 'ERF',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  204: 'PPP_WITH_DIR',
  209: 'IPMB_LINUX',
  215: 'IEEE802_15_4_NONASK_PHY',
  220: 'USB_LINUX_MMAPPED',
  224: 'FC_2',
  225: 'FC_2_WITH_FRAME_DELIMS',
  226: 'IPNET',
  227: 'CAN_SOCKETCAN',
  228: 'IPV4',
  229: 'IPV6',
  230: 'IEEE802_15_4_NOFCS',
  231: 'DBUS',
  235: 'DVB_CI',
  239: 'NFLOG',
  240: 'NETANALYZER',
  241: 'NETANALYZER_TRANSPARENT',
  242: 'IPOIB',
  243: 'MPEG_2_TS',
  247: 'INFINIBAND',
  248: 'SCTP',
  249: 'USBPCAP',
  251: 'BLUETOOTH_LE_LL',
  252: 'WIRESHARK_UPPER_PDU',
  253: 'NETLINK',
  254: 'BLUETOOTH_LINUX_MONITOR',
  256: 'BLUETOOTH_LE_LL_WITH_PHDR',
  258: 'PKTAP',
  264: 'EPON',
  265: 'ZWAVE_R1_R2',
  266: 'ZWAVE_R3',
  270: 'LINUX_LAPD',
  271: 'VSOCK',
  272: 'NORDIC_BLE',
  273: 'DOCSIS31_XRA31',
  274: 'ETHERNET_MPACKET',
  275: 'DISPLAYPORT_AUX',
  276: 'LINUX_SLL2',
  279: 'OPENVIZSLA',
  281: 'DSA_TAG_BRCM',
  282: 'DSA_TAG_BRCM_PREPEND',
  283: 'IEEE802_15_4_TAP',
  284: 'DSA_TAG_DSA',
  285: 'DSA_TAG_EDSA',
  286: 'ELEE',
  287: 'Z_WAVE_SERIAL',
  288: 'USB_2_0',
  289: 'ATSC_ALP',
  290: 'ETW',
};

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** libpcap name for a LINKTYPE number; "LINKTYPE_<n>" when unknown. */
export function linktypeName(lt: number): string {
  return NAMES[lt] ?? `LINKTYPE_${lt}`;
}

/** Raw IP with no link header: LINKTYPE_RAW (101) and the DLT_RAW values 12/14 found in files. */
export function isRawIp(lt: number): boolean {
  return lt === 101 || lt === 12 || lt === 14;
}
