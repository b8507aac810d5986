//! The floor under W4: what one core of this machine spends to write one small SSE frame to
//! each of N loopback TCP connections with plain blocking `write` calls, no runtime, no
//! HTTP, while a reader on the other core takes them. On loopback the writer's core also runs
//! the receiver's TCP processing, so this is the least any server pays per delivery here.
//!
//! `cargo run --release -p bench-micro --example loopback_floor -- [N] [ROUNDS]`
//! (defaults 10000 and 5; N is bounded by the open-files limit, two descriptors each).

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// One `data:` event as Spate frames a resource update, inside one HTTP chunk.
const FRAME: &[u8] = b"7e\r\nevent: message\nid: 123456\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"bench://tick\"}}\n\n\r\n";

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a number"));
    let n = args.next().unwrap_or(10_000);
    let rounds = args.next().unwrap_or(5);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut readers = Vec::with_capacity(n);
    let mut writers = Vec::with_capacity(n);
    for _ in 0..n {
        readers.push(TcpStream::connect(addr).expect("connect"));
        let (writer, _) = listener.accept().expect("accept");
        writer.set_nodelay(true).expect("nodelay");
        writers.push(writer);
    }
    // The reader: a tokio runtime on the other core, one task per connection, as a client
    // of N streams (or N clients) would read them: epoll wakes it as frames arrive.
    let reader = std::thread::spawn(move || {
        pin_to(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let due = FRAME.len() * rounds;
            let tasks: Vec<_> = readers
                .into_iter()
                .map(|r| {
                    r.set_nonblocking(true).expect("nonblocking");
                    let mut r = tokio::net::TcpStream::from_std(r).expect("register");
                    tokio::spawn(async move {
                        use tokio::io::AsyncReadExt;
                        let mut buf = [0u8; 1024];
                        let mut got = 0;
                        while got < due {
                            got += r.read(&mut buf).await.expect("read");
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("a reader task");
            }
        });
    });
    pin_to(0);
    println!("{n} connections, {} B per write", FRAME.len());
    for round in 0..rounds {
        std::thread::sleep(Duration::from_millis(200));
        let (wall, cpu) = (Instant::now(), thread_cpu());
        for s in &mut writers {
            s.write_all(FRAME).expect("write");
        }
        let cpu = thread_cpu() - cpu;
        println!(
            "round {round}: {:.1} ms for all, {:.2} CPU-µs per write, {:.0} writes per CPU-second",
            wall.elapsed().as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e6 / n as f64,
            n as f64 / cpu.as_secs_f64()
        );
    }
    reader.join().expect("the reader");
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Pins the calling thread to `cpu` (best effort: a machine with one CPU just runs it).
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and the syscall only read and
    // write that set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
