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
    // everything the child needs is prepared before fork: nothing allocates after it
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
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds is a valid two-int array.
    if unsafe { sys::pipe2(fds.as_mut_ptr(), sys::O_CLOEXEC) } != 0 {
        return Spawned::Failed(sys::errno());
    }
    for sig in FORWARDED {
        // SAFETY: installing a handler that only uses async-signal-safe calls.
        unsafe { sys::signal(sig, on_signal as extern "C" fn(c_int) as usize) };
    }
    let started = Instant::now();
    // SAFETY: this process has one thread; the child only calls async-signal-safe functions.
    let pid = unsafe { sys::fork() };
    if pid == 0 {
        unsafe { child(&paths, &arg_ptrs, own_group, fds[1]) }
    }
    // SAFETY: closing our copy of the write end.
    unsafe { sys::close(fds[1]) };
    if pid < 0 {
        let e = sys::errno();
        unsafe { sys::close(fds[0]) };
        restore_signals();
        return Spawned::Failed(e);
    }
    CHILD.store(pid, Ordering::SeqCst);
    let pending = PENDING.swap(0, Ordering::SeqCst);
    for sig in FORWARDED {
        if pending & (1 << sig) != 0 {
            forward(sig);
        }
    }
    // the child writes errno here if exec fails; EOF means exec succeeded
    let mut err = [0u8; 4];
    let mut got = 0usize;
    loop {
        // SAFETY: reading into our buffer.
        let n = unsafe { sys::read(fds[0], err[got..].as_mut_ptr() as *mut c_void, 4 - got) };
        if n < 0 && sys::errno() == sys::EINTR {
            continue;
        }
        if n <= 0 {
            break;
        }
        got += n as usize;
        if got == 4 {
            break;
        }
    }
    unsafe { sys::close(fds[0]) };
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
    if got == 4 {
        return Spawned::Failed(i32::from_ne_bytes(err));
    }
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

/// In the forked child: new session without a terminal, default signals, empty mask, then exec.
unsafe fn child(paths: &[CString], argv: &[*const c_char], own_group: bool, err_fd: c_int) -> ! {
    if own_group {
        sys::setsid();
    }
    for sig in 1..65 {
        if sig != 9 && sig != 19 {
            sys::signal(sig, sys::SIG_DFL);
        }
    }
    let empty: sys::sigset_t = std::mem::zeroed();
    sys::sigprocmask(sys::SIG_SETMASK, &empty, std::ptr::null_mut());
    let mut saw_eacces = false;
    let mut last = 2; // ENOENT
    for p in paths {
        sys::execve(p.as_ptr(), argv.as_ptr(), sys::environ);
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
    let bytes = last.to_ne_bytes();
    sys::write(err_fd, bytes.as_ptr() as *const c_void, 4);
    sys::_exit(127)
}
