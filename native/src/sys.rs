//! The few C library calls the standard library does not expose (Linux, glibc or musl).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void, CStr};

pub type pid_t = i32;
pub type uid_t = u32;
pub type sighandler_t = usize;

pub const SIG_DFL: sighandler_t = 0;
pub const SIGKILL: c_int = 9;
pub const EINTR: i32 = 4;

#[repr(C)]
struct passwd {
    pw_name: *mut c_char,
    pw_passwd: *mut c_char,
    pw_uid: uid_t,
    pw_gid: u32,
    pw_gecos: *mut c_char,
    pw_dir: *mut c_char,
    pw_shell: *mut c_char,
}

/// clone flags: share the memory until the child execs or exits, and suspend the caller until
/// then (what vfork and posix_spawn do); SIGCHLD to the parent when the child ends.
pub const CLONE_VM: c_int = 0x100;
pub const CLONE_VFORK: c_int = 0x4000;
pub const SIGCHLD: c_int = 17;

/// The raw signal system calls: the C library's wrappers refuse the signals it keeps for itself
/// (32 and 33 in glibc), which a spawned program must still get with their default disposition.
#[cfg(target_arch = "x86_64")]
pub const SYS_RT_SIGACTION: i64 = 13;
#[cfg(target_arch = "x86_64")]
pub const SYS_RT_SIGPROCMASK: i64 = 14;
#[cfg(target_arch = "aarch64")]
pub const SYS_RT_SIGACTION: i64 = 134;
#[cfg(target_arch = "aarch64")]
pub const SYS_RT_SIGPROCMASK: i64 = 135;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "the native exec client knows the signal system call numbers of x86_64 and aarch64 only"
);
pub const SIG_SETMASK: c_int = 2;

/// The kernel's struct sigaction; all zero is SIG_DFL with no flags and an empty mask on every
/// architecture, whatever the field order.
#[repr(C)]
pub struct kernel_sigaction {
    _words: [u64; 4],
}

extern "C" {
    fn getuid() -> uid_t;
    fn gethostname(name: *mut c_char, len: usize) -> c_int;
    fn getpwuid_r(
        uid: uid_t,
        pwd: *mut passwd,
        buf: *mut c_char,
        len: usize,
        result: *mut *mut passwd,
    ) -> c_int;
    fn isatty(fd: c_int) -> c_int;
    pub fn setsid() -> pid_t;
    pub fn execve(
        path: *const c_char,
        argv: *const *const c_char,
        envp: *const *const c_char,
    ) -> c_int;
    pub fn _exit(code: c_int) -> !;
    pub fn clone(
        f: extern "C" fn(*mut c_void) -> c_int,
        stack: *mut c_void,
        flags: c_int,
        arg: *mut c_void,
        ...
    ) -> c_int;
    pub fn syscall(n: i64, ...) -> i64;
    pub fn waitpid(pid: pid_t, status: *mut c_int, options: c_int) -> pid_t;
    pub fn kill(pid: pid_t, sig: c_int) -> c_int;
    pub fn signal(sig: c_int, handler: sighandler_t) -> sighandler_t;
    pub fn __errno_location() -> *mut c_int;
    fn memfd_create(name: *const c_char, flags: u32) -> c_int;
    fn dup2(old: c_int, new: c_int) -> c_int;
    fn poll(fds: *mut pollfd, n: u64, timeout: c_int) -> c_int;
    fn access(path: *const c_char, mode: c_int) -> c_int;
    pub static environ: *const *const c_char;
}

pub const O_NONBLOCK: i32 = 0o4000;
pub const O_NOCTTY: i32 = 0o400;

#[repr(C)]
struct pollfd {
    fd: c_int,
    events: i16,
    revents: i16,
}

/// Wait until fd 0 can be read (or is at its end) for at most `ms`; false on timeout.
pub fn stdin_ready(ms: i32) -> bool {
    let mut p = pollfd {
        fd: 0,
        events: 1, // POLLIN
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let n = unsafe { poll(&mut p, 1, ms.max(0)) };
        if n < 0 && errno() == EINTR {
            continue;
        }
        // an error or hang-up is "ready": the read that follows reports it
        return n != 0;
    }
}

/// Make fd 0 read `bytes` from their start (an anonymous memory file), so that a program exec'd
/// next reads exactly what this process already consumed.
pub fn stdin_from(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    use std::os::fd::FromRawFd;
    // SAFETY: the name is NUL-terminated; the result is checked.
    let fd = unsafe { memfd_create(c"guard-hook-input".as_ptr(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned here.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    f.write_all(bytes)?;
    f.seek(SeekFrom::Start(0))?;
    // SAFETY: both descriptors are valid; dup2 onto 0 replaces stdin.
    if unsafe { dup2(fd, 0) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// access(path, X_OK) == 0, as Node's accessSync(path, X_OK) succeeds.
pub fn executable(path: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { access(c.as_ptr(), 1) == 0 }
}

pub fn errno() -> i32 {
    // SAFETY: __errno_location always returns this thread's errno slot.
    unsafe { *__errno_location() }
}

pub fn uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { getuid() }
}

pub fn any_tty() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    (0..3).any(|fd| unsafe { isatty(fd) } == 1)
}

/// The host name (as os.hostname() gives it); None when it cannot be read as UTF-8.
pub fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the result is NUL-terminated below.
    if unsafe { gethostname(buf.as_mut_ptr() as *mut c_char, buf.len() - 1) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0)?;
    String::from_utf8(buf[..end].to_vec()).ok()
}

/// The user name of `uid` from the system's user database (as os.userInfo() reads it).
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: zeroed passwd is a valid out-parameter; pointers are only read after success.
    let mut pwd: passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut passwd = std::ptr::null_mut();
    let rc = unsafe {
        getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points at a NUL-terminated string inside buf.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) };
    name.to_str().ok().map(str::to_owned)
}

/// Linux signal names as Node reports them for a child's death.
pub fn signal_name(n: i32) -> Option<&'static str> {
    Some(match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        16 => "SIGSTKFLT",
        17 => "SIGCHLD",
        18 => "SIGCONT",
        19 => "SIGSTOP",
        20 => "SIGTSTP",
        21 => "SIGTTIN",
        22 => "SIGTTOU",
        23 => "SIGURG",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        26 => "SIGVTALRM",
        27 => "SIGPROF",
        28 => "SIGWINCH",
        29 => "SIGIO",
        30 => "SIGPWR",
        31 => "SIGSYS",
        _ => return None,
    })
}
