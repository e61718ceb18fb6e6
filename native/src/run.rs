//! Run the command as src/exec/run.ts does (decision 0003): inherited stdio; with a terminal on
//! any of stdin/stdout/stderr the child stays in guard's process group, without one it gets a new
//! session (Node's `detached`), so forwarded signals reach its whole tree and, after a
//! terminating signal, whatever is left of the tree is killed once the child is gone.
//! SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR2 are forwarded; death by signal N gives 128+N.
//! The child starts with default signal dispositions and an empty signal mask (as libuv does),
//! and the program is found on PATH as libuv finds it (no `/bin/sh` retry on ENOEXEC).

use crate::sys;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::time::Instant;

const FORWARDED: [c_int; 5] = [2, 15, 1, 3, 12]; // INT TERM HUP QUIT USR2
const TERMINATING: [c_int; 4] = [2, 15, 1, 3];

static CHILD: AtomicI32 = AtomicI32::new(0);
static OWN_GROUP: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);
static PENDING: AtomicU32 = AtomicU32::new(0);

fn forward(sig: c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid <= 0 {
        PENDING.fetch_or(1 << sig, Ordering::SeqCst);
        return;
    }
    let target = if OWN_GROUP.load(Ordering::SeqCst) {
        -pid
    } else {
        pid
    };
    // SAFETY: kill is async-signal-safe; a child already gone only gives ESRCH.
    unsafe { sys::kill(target, sig) };
}

extern "C" fn on_signal(sig: c_int) {
    if TERMINATING.contains(&sig) {
        TERMINATED.store(true, Ordering::SeqCst);
    }
    forward(sig);
}

pub enum Spawned {
    Exited {
        exit_code: i32,
        signal: Option<&'static str>,
        duration_ms: f64,
    },
    /// exec failed in the child: the errno, as libuv reports it.
    Failed(i32),
}

/// Kill the child (its group without a terminal) if guard goes away while it runs.
pub fn kill_child() {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        let target = if OWN_GROUP.load(Ordering::SeqCst) {
            -pid
        } else {
            pid
        };
        // SAFETY: plain kill of our own child.
        unsafe { sys::kill(target, sys::SIGKILL) };
    }
}

/// The candidate paths for `file`, in the order libuv tries them.
fn candidates(file: &str, path_var: Option<&str>) -> Vec<String> {
    if file.contains('/') {
        return vec![file.to_string()];
    }
    let path = path_var.unwrap_or("/usr/local/bin:/bin:/usr/bin");
    path.split(':')
        .map(|dir| {
            if dir.is_empty() {
                file.to_string()
            } else {
                format!("{}/{}", dir, file)
            }
        })
        .collect()
}

pub fn run(argv: &[String], path_var: Option<&str>) -> Spawned {
    let own_group = !sys::any_tty();
    OWN_GROUP.store(own_group, Ordering::SeqCst);
    let paths: Vec<CString> = candidates(&argv[0], path_var)
        .into_iter()
        .filter_map(|p| CString::new(p).ok())
        .collect();
    let args: Vec<CString> = argv
        .iter()
        .filter_map(|a| CString::new(a.as_bytes()).ok())
        .collect();
    if args.len() != argv.len() || paths.is_empty() {
        return Spawned::Failed(2); // an argument with a NUL byte cannot be passed: ENOENT as libuv says
    }
    let mut arg_ptrs: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    for sig in FORWARDED {
        // SAFETY: installing a handler that only uses async-signal-safe calls.
        unsafe { sys::signal(sig, on_signal as extern "C" fn(c_int) as usize) };
    }
    let started = Instant::now();
    let pid = match spawn(&paths, &arg_ptrs, own_group) {
        Ok(pid) => pid,
        Err(e) => {
            restore_signals();
            return Spawned::Failed(e);
        }
    };
    CHILD.store(pid, Ordering::SeqCst);
    let pending = PENDING.swap(0, Ordering::SeqCst);
    for sig in FORWARDED {
        if pending & (1 << sig) != 0 {
            forward(sig);
        }
    }
    let mut status: c_int = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { sys::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if r < 0 && sys::errno() != sys::EINTR {
            status = -1;
            break;
        }
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if own_group && TERMINATED.load(Ordering::SeqCst) {
        // SAFETY: kill what is left of the child's group.
        unsafe { sys::kill(-pid, sys::SIGKILL) };
    }
    CHILD.store(0, Ordering::SeqCst);
    restore_signals();
    if status == -1 {
        return Spawned::Failed(10); // ECHILD
    }
    let sig = status & 0x7f;
    if sig != 0 && sig != 0x7f {
        return Spawned::Exited {
            exit_code: 128 + sig,
            signal: sys::signal_name(sig),
            duration_ms,
        };
    }
    Spawned::Exited {
        exit_code: (status >> 8) & 0xff,
        signal: None,
        duration_ms,
    }
}

fn restore_signals() {
    for sig in FORWARDED {
        // SAFETY: back to the default disposition.
        unsafe { sys::signal(sig, sys::SIG_DFL) };
    }
}

/// What the child needs, prepared before it is started: nothing is allocated after the clone.
struct ChildArgs<'a> {
    paths: &'a [CString],
    argv: &'a [*const c_char],
    own_group: bool,
    /// Set by the child when no candidate could be exec'd: the errno to report.
    err: AtomicI32,
}

const CHILD_STACK: usize = 256 * 1024;

/// Start the command as vfork does (clone with CLONE_VM | CLONE_VFORK: the child shares this
/// process's memory until it execs, so no page table is copied, and this process waits until
/// then), on a stack of its own. The child gets a new session when guard has no terminal, the
/// default disposition for every signal (through the raw system call, so the C library's own
/// signals 32 and 33 too), an empty signal mask, then tries the candidates in the order libuv
/// tries them. Every signal stays blocked here around the clone, so no handler of this process
/// runs in the child. The pid, or the errno of the failed exec (the child is reaped).
fn spawn(paths: &[CString], argv: &[*const c_char], own_group: bool) -> Result<sys::pid_t, i32> {
    let args = ChildArgs {
        paths,
        argv,
        own_group,
        err: AtomicI32::new(0),
    };
    let mut stack = vec![0u8; CHILD_STACK];
    // the stack grows down: the top, 16-byte aligned
    let top = ((stack.as_mut_ptr() as usize + CHILD_STACK) & !15) as *mut c_void;
    let all: [u64; 1] = [!0];
    let mut old: [u64; 1] = [0];
    // SAFETY: raw rt_sigprocmask on valid 8-byte sets; clone gets a valid stack and an argument
    // that outlives the child's use of it (CLONE_VFORK: clone returns only once the child exec'd
    // or exited).
    let pid = unsafe {
        sys::syscall(
            sys::SYS_RT_SIGPROCMASK,
            sys::SIG_SETMASK as i64,
            all.as_ptr(),
            old.as_mut_ptr(),
            8i64,
        );
        let pid = sys::clone(
            child,
            top,
            sys::CLONE_VM | sys::CLONE_VFORK | sys::SIGCHLD,
            &args as *const ChildArgs as *mut c_void,
        );
        let e = sys::errno();
        sys::syscall(
            sys::SYS_RT_SIGPROCMASK,
            sys::SIG_SETMASK as i64,
            old.as_ptr(),
            std::ptr::null_mut::<u64>(),
            8i64,
        );
        if pid < 0 {
            return Err(e);
        }
        pid
    };
    drop(stack);
    let err = args.err.load(Ordering::SeqCst);
    if err == 0 {
        return Ok(pid);
    }
    let mut status: c_int = 0;
    // SAFETY: reaping our own child, which has exited.
    while unsafe { sys::waitpid(pid, &mut status, 0) } < 0 && sys::errno() == sys::EINTR {}
    Err(err)
}

/// The cloned child (shares the parent's memory; only system calls until exec or _exit).
extern "C" fn child(arg: *mut c_void) -> c_int {
    // SAFETY: arg is the parent's ChildArgs, alive while the parent is suspended in clone.
    let a = unsafe { &*(arg as *const ChildArgs) };
    unsafe {
        if a.own_group {
            sys::setsid();
        }
        let dfl: sys::kernel_sigaction = std::mem::zeroed();
        for sig in 1..65i64 {
            if sig != 9 && sig != 19 {
                sys::syscall(
                    sys::SYS_RT_SIGACTION,
                    sig,
                    &dfl as *const _,
                    std::ptr::null_mut::<c_void>(),
                    8i64,
                );
            }
        }
        let empty: [u64; 1] = [0];
        sys::syscall(
            sys::SYS_RT_SIGPROCMASK,
            sys::SIG_SETMASK as i64,
            empty.as_ptr(),
            std::ptr::null_mut::<u64>(),
            8i64,
        );
        let mut saw_eacces = false;
        let mut last = 2; // ENOENT
        for p in a.paths {
            sys::execve(p.as_ptr(), a.argv.as_ptr(), sys::environ);
            last = sys::errno();
            match last {
                13 => saw_eacces = true, // EACCES: keep looking, report it if nothing else runs
                2 | 20 => {}             // ENOENT, ENOTDIR: keep looking
                _ => break,
            }
        }
        if saw_eacces && matches!(last, 2 | 13 | 20) {
            last = 13;
        }
        a.err
            .store(if last == 0 { 2 } else { last }, Ordering::SeqCst);
        sys::_exit(127)
    }
}
