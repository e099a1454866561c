"""Shared helpers of the kernel measurement scripts in test/kernel/*-kernel-measure.py (root only):
shell commands, addresses to bytes, the Internet checksum, entering a network namespace."""
import ctypes, os, struct, subprocess

def sh(c, check=True):
    r = subprocess.run(c, shell=True, capture_output=True, text=True)
    if check and r.returncode: raise SystemExit(f'{c}: {r.stderr}')
    return r.stdout

def mac(s): return bytes(int(x, 16) for x in s.split(':'))

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s > 0xffff: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

libc = ctypes.CDLL('libc.so.6', use_errno=True)

def setns(name):
    """this thread (and the sockets it opens from now on) into netns `name` (CLONE_NEWNET)"""
    fd = os.open(f'/var/run/netns/{name}', os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0: raise OSError(ctypes.get_errno(), 'setns')
    os.close(fd)
