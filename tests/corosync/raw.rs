//! The benchmark's baseline: the same send/receive loop written directly against the
//! C API (poll + cpg_dispatch, global counters), to measure what the safe layer costs.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use corosync_sys::ffi;

use crate::out;

static RECEIVED: AtomicUsize = AtomicUsize::new(0);
static MEMBERS: AtomicUsize = AtomicUsize::new(0);
static FIRST: OnceLock<Instant> = OnceLock::new();

unsafe extern "C" fn deliver(
    _h: ffi::cpg_handle_t,
    _g: *const ffi::cpg_name,
    _nodeid: u32,
    _pid: u32,
    _msg: *mut c_void,
    _len: usize,
) {
    FIRST.get_or_init(Instant::now);
    RECEIVED.fetch_add(1, Ordering::Relaxed);
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn confchg(
    _h: ffi::cpg_handle_t,
    _g: *const ffi::cpg_name,
    _members: *const ffi::cpg_address,
    n_members: usize,
    _l: *const ffi::cpg_address,
    _nl: usize,
    _j: *const ffi::cpg_address,
    _nj: usize,
) {
    MEMBERS.store(n_members, Ordering::Relaxed);
}

fn fail(what: &str, rc: ffi::cs_error_t) -> ! {
    out(&format!("error raw {what}: {}", corosync_sys::CsCode(rc)));
    std::process::exit(2);
}

fn wait_readable(fd: i32, timeout_ms: i32) {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
}

pub fn bench(group: &str, count: usize, size: usize, senders: usize) {
    let mut model = ffi::cpg_model_v1_data_t {
        model: ffi::CPG_MODEL_V1,
        cpg_deliver_fn: Some(deliver),
        cpg_confchg_fn: Some(confchg),
        cpg_totem_confchg_fn: None,
        flags: 0,
    };
    let mut h = 0;
    // SAFETY: valid model struct and out-pointer; no context is used.
    let rc = unsafe {
        ffi::cpg_model_initialize(
            &mut h,
            ffi::CPG_MODEL_V1,
            (&mut model as *mut ffi::cpg_model_v1_data_t).cast(),
            std::ptr::null_mut(),
        )
    };
    if rc != ffi::CS_OK {
        fail("initialize", rc);
    }
    let mut fd = -1;
    // SAFETY: valid handle and out-pointer.
    unsafe { ffi::cpg_fd_get(h, &mut fd) };
    let mut name = ffi::cpg_name { length: group.len() as u32, value: [0; 128] };
    for (d, s) in name.value.iter_mut().zip(group.bytes()) {
        *d = s as std::os::raw::c_char;
    }
    loop {
        // SAFETY: valid handle and group name.
        match unsafe { ffi::cpg_join(h, &name) } {
            ffi::CS_OK => break,
            ffi::CS_ERR_TRY_AGAIN => std::thread::sleep(Duration::from_millis(10)),
            rc => fail("join", rc),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while MEMBERS.load(Ordering::Relaxed) < senders {
        if Instant::now() > deadline {
            fail("waiting for members", ffi::CS_ERR_TIMEOUT);
        }
        wait_readable(fd, 200);
        // SAFETY: valid handle; callbacks only touch atomics.
        unsafe { ffi::cpg_dispatch(h, ffi::CS_DISPATCH_ALL) };
    }
    out("bench-start");
    let cpu0 = crate::cpu_ms();
    let buf = vec![0x5a_u8; size];
    let iov = ffi::iovec { iov_base: buf.as_ptr() as *mut c_void, iov_len: buf.len() };
    let total = count * senders;
    let mut sent = 0;
    let mut try_again = 0u64;
    let mut last_progress = Instant::now();
    let mut last_seen = 0;
    while RECEIVED.load(Ordering::Relaxed) < total {
        if sent < count {
            // SAFETY: one iovec over `buf`, alive across the call.
            match unsafe { ffi::cpg_mcast_joined(h, ffi::CPG_TYPE_AGREED, &iov, 1) } {
                ffi::CS_OK => sent += 1,
                ffi::CS_ERR_TRY_AGAIN => try_again += 1,
                rc => fail("mcast", rc),
            }
        } else {
            wait_readable(fd, 100);
        }
        // SAFETY: valid handle; callbacks only touch atomics.
        let rc = unsafe { ffi::cpg_dispatch(h, ffi::CS_DISPATCH_ALL) };
        if rc != ffi::CS_OK && rc != ffi::CS_ERR_TRY_AGAIN {
            fail("dispatch", rc);
        }
        let r = RECEIVED.load(Ordering::Relaxed);
        if r != last_seen {
            last_seen = r;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_secs(30) {
            fail("stalled", ffi::CS_ERR_TIMEOUT);
        }
    }
    let secs = FIRST.get().map(|f| f.elapsed().as_secs_f64()).unwrap_or(0.0);
    let received = RECEIVED.load(Ordering::Relaxed);
    out(&format!(
        "bench mode=raw received={received} secs={secs:.3} rate={:.0} cpu_ms={:.0} try_again={try_again}",
        received as f64 / secs.max(1e-9),
        crate::cpu_ms() - cpu0
    ));
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: finalized once, at the end.
    unsafe { ffi::cpg_finalize(h) };
}
