/**
 * A seccomp filter for sandboxed programs, built as classic BPF bytes: the
 * format bubblewrap's `--seccomp FD` takes and `prctl(PR_SET_SECCOMP)` loads.
 *
 * It refuses (EPERM) the calls a contained program never needs and that
 * widen the kernel surface: new namespaces (`unshare`, `setns`, `clone`
 * with a namespace flag), mounting, `ptrace` and reading other processes'
 * memory, the key ring, kernel modules, `bpf`, `perf_event_open`,
 * `userfaultfd`, clock and host-name changes, swap, reboot. `clone3` and
 * `io_uring_*` answer ENOSYS (their arguments cannot be inspected; C
 * libraries and libuv fall back to `clone` and plain system calls). A call
 * made through another ABI (32-bit x86, x32) kills the process.
 */

/** The machines the filter is built for (Node's `process.arch` names). */
export type SeccompArch = 'x64' | 'arm64';

/** System calls refused with EPERM, by name. */
export const deniedSyscalls = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'unshare',
  'setns',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'open_tree',
  'move_mount',
  'mount_setattr',
  'open_by_handle_at',
  'name_to_handle_at',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'syslog',
  'lookup_dcookie',
  'sethostname',
  'setdomainname',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'vhangup',
  'iopl',
  'ioperm',
  'uselib',
  'nfsservctl',
  '_sysctl',
] as const;

/** System calls answered with ENOSYS (callers fall back to older calls the filter can inspect or allows). */
export const unimplementedSyscalls = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const;

type Name = (typeof deniedSyscalls)[number] | (typeof unimplementedSyscalls)[number] | 'clone';

// numbers from the kernel's unistd_64.h (x86_64) and asm-generic/unistd.h (aarch64); calls a machine lacks are absent
const numbers: Record<SeccompArch, Partial<Record<Name, number>>> = {
  x64: {
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    unshare: 272,
    setns: 308,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    chroot: 161,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    open_tree: 428,
    move_mount: 429,
    mount_setattr: 442,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    kexec_load: 246,
    kexec_file_load: 320,
    reboot: 169,
    swapon: 167,
    swapoff: 168,
    acct: 163,
    quotactl: 179,
    syslog: 103,
    lookup_dcookie: 212,
    sethostname: 170,
    setdomainname: 171,
    settimeofday: 164,
    clock_settime: 227,
    clock_adjtime: 305,
    vhangup: 153,
    iopl: 172,
    ioperm: 173,
    uselib: 134,
    nfsservctl: 180,
    _sysctl: 156,
    clone: 56,
    clone3: 435,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
  },
  arm64: {
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    unshare: 97,
    setns: 268,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    chroot: 51,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    open_tree: 428,
    move_mount: 429,
    mount_setattr: 442,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    kexec_load: 104,
    kexec_file_load: 294,
    reboot: 142,
    swapon: 224,
    swapoff: 225,
    acct: 89,
    quotactl: 60,
    syslog: 116,
    lookup_dcookie: 18,
    sethostname: 161,
    setdomainname: 162,
    settimeofday: 170,
    clock_settime: 112,
    clock_adjtime: 266,
    vhangup: 58,
    nfsservctl: 42,
    clone: 220,
    clone3: 435,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
  },
};

const auditArch: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };

// classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h)
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
/** Offsets in `struct seccomp_data`: nr, arch, then args[0] (its low 32 bits on little-endian machines). */
const offsetNr = 0;
const offsetArch = 4;
const offsetArg0Low = 16;
/** x32 system calls on x86_64 have this bit set. */
const x32Bit = 0x40000000;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
export const cloneNamespaceFlags =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Whether a filter can be built for this machine. */
export function seccompSupported(arch: string = process.arch): arch is SeccompArch {
  return arch === 'x64' || arch === 'arm64';
}

/**
 * The filter as `struct sock_filter` bytes (8 per instruction, little-endian
 * as on both supported machines), or `undefined` for a machine it is not
 * built for.
 */
export function seccompFilter(arch: string = process.arch): Buffer | undefined {
  if (!seccompSupported(arch)) return undefined;
  const nr = numbers[arch];
  const denied = deniedSyscalls.flatMap((n) => (nr[n] !== undefined ? [nr[n]] : []));
  const missing = unimplementedSyscalls.flatMap((n) => (nr[n] !== undefined ? [nr[n]] : []));
  // the checks, then allow, then the refusals; a jump counts instructions after the next one (at most 255)
  type Target = 'deny' | 'nosys' | 'kill';
  const body: Array<{ code: number; k: number; jt?: number | Target; jf?: number | Target }> = [
    { code: LD_W_ABS, k: offsetArch },
    { code: JEQ_K, k: auditArch[arch], jt: 0, jf: 'kill' },
    { code: LD_W_ABS, k: offsetNr },
  ];
  if (arch === 'x64') body.push({ code: JGE_K, k: x32Bit, jt: 'kill' });
  for (const n of denied) body.push({ code: JEQ_K, k: n, jt: 'deny' });
  for (const n of missing) body.push({ code: JEQ_K, k: n, jt: 'nosys' });
  // clone is refused only when it asks for a new namespace: not clone → skip the two instructions to allow
  body.push({ code: JEQ_K, k: nr.clone!, jt: 0, jf: 2 });
  body.push({ code: LD_W_ABS, k: offsetArg0Low });
  body.push({ code: JSET_K, k: cloneNamespaceFlags, jt: 'deny' });
  const labels: Record<Target, number> = { deny: body.length + 1, nosys: body.length + 2, kill: body.length + 3 };
  const resolve = (target: number | Target | undefined, here: number) =>
    typeof target === 'string' ? labels[target] - (here + 1) : (target ?? 0);
  const program: Instruction[] = body.map((b, i) => ({
    code: b.code,
    k: b.k,
    jt: resolve(b.jt, i),
    jf: resolve(b.jf, i),
  }));
  program.push(
    { code: RET_K, jt: 0, jf: 0, k: RET_ALLOW },
    { code: RET_K, jt: 0, jf: 0, k: RET_ERRNO | EPERM },
    { code: RET_K, jt: 0, jf: 0, k: RET_ERRNO | ENOSYS },
    { code: RET_K, jt: 0, jf: 0, k: RET_KILL_PROCESS },
  );
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    if (ins.jt > 255 || ins.jf > 255) throw new Error('seccomp filter too long for its jumps');
    bytes.writeUInt16LE(ins.code, i * 8);
    bytes.writeUInt8(ins.jt, i * 8 + 2);
    bytes.writeUInt8(ins.jf, i * 8 + 3);
    bytes.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return bytes;
}

/**
 * A Python program that loads a filter given as hex in argv[1] (no_new_privs,
 * then `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)`) and execs argv[2:]: how
 * the `unshare` fallback, which has no `--seccomp`, applies the same filter.
 */
export const seccompLoaderPython = [
  'import ctypes, os, sys',
  'code = bytes.fromhex(sys.argv[1])',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'class Prog(ctypes.Structure):',
  '    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]',
  'buf = ctypes.create_string_buffer(code, len(code))',
  'prog = Prog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))',
  'if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:',
  '    sys.stderr.write("crosstalk-seccomp: " + os.strerror(ctypes.get_errno()) + "\\n")',
  '    sys.exit(125)',
  'os.execvp(sys.argv[2], sys.argv[2:])',
].join('\n');
