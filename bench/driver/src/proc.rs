//! What the kernel knows about the server process: CPU time (per-thread schedstat, ns),
//! resident memory, and a memory cgroup (v1 or v2) that also counts kernel socket memory.

use std::fs;
use std::path::{Path, PathBuf};

/// Reads one process's counters.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// The server's process id.
    pub pid: u32,
}

impl Probe {
    /// CPU time the process has used, in nanoseconds (all its threads; falls back to
    /// `utime + stime` when schedstat is unavailable).
    pub fn cpu_ns(&self) -> u64 {
        let mut total = 0u64;
        let mut any = false;
        if let Ok(tasks) = fs::read_dir(format!("/proc/{}/task", self.pid)) {
            for task in tasks.flatten() {
                if let Ok(s) = fs::read_to_string(task.path().join("schedstat")) {
                    if let Some(ns) = s
                        .split_whitespace()
                        .next()
                        .and_then(|v| v.parse::<u64>().ok())
                    {
                        total += ns;
                        any = true;
                    }
                }
            }
        }
        if any { total } else { self.stat_cpu_ns() }
    }

    /// Bytes the process has sent to the storage layer (`write_bytes` of `/proc/PID/io`,
    /// counted when pages are dirtied); 0 when unreadable.
    pub fn write_bytes(&self) -> u64 {
        fs::read_to_string(format!("/proc/{}/io", self.pid))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("write_bytes:")?.trim().parse().ok())
            })
            .unwrap_or(0)
    }

    fn stat_cpu_ns(&self) -> u64 {
        let Ok(stat) = fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return 0;
        };
        // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        ticks * 1_000_000_000 / hz
    }

    /// Resident set size in bytes (`VmRSS`).
    pub fn rss_bytes(&self) -> u64 {
        let Ok(status) = fs::read_to_string(format!("/proc/{}/status", self.pid)) else {
            return 0;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

/// A memory cgroup holding the server, made under the driver's own one.
#[derive(Debug)]
pub struct MemCgroup {
    dir: PathBuf,
    usage_file: &'static str,
    parent_procs: PathBuf,
}

impl MemCgroup {
    /// Creates `name` under this process's memory cgroup; `None` where that is not allowed.
    pub fn create(name: &str) -> Option<Self> {
        let own = fs::read_to_string("/proc/self/cgroup").ok()?;
        for line in own.lines() {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let (root, usage_file) = if controllers.split(',').any(|c| c == "memory") {
                (
                    PathBuf::from("/sys/fs/cgroup/memory"),
                    "memory.usage_in_bytes",
                )
            } else if controllers.is_empty()
                && Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
            {
                (PathBuf::from("/sys/fs/cgroup"), "memory.current")
            } else {
                continue;
            };
            let parent = root.join(path.trim_start_matches('/'));
            let dir = parent.join(name);
            let _ = fs::create_dir(&dir);
            if dir.join(usage_file).exists() {
                return Some(Self {
                    dir,
                    usage_file,
                    parent_procs: parent.join("cgroup.procs"),
                });
            }
        }
        None
    }

    /// Moves a process into the cgroup (charges from then on are counted here).
    pub fn add(&self, pid: u32) -> bool {
        fs::write(self.dir.join("cgroup.procs"), pid.to_string()).is_ok()
    }

    /// Memory charged to the cgroup now, in bytes (user memory, page cache and kernel memory
    /// such as socket buffers).
    pub fn usage(&self) -> u64 {
        fs::read_to_string(self.dir.join(self.usage_file))
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for MemCgroup {
    fn drop(&mut self) {
        if let Ok(procs) = fs::read_to_string(self.dir.join("cgroup.procs")) {
            for pid in procs.lines() {
                let _ = fs::write(&self.parent_procs, pid);
            }
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Pins the calling thread (and threads it starts later) to one CPU; false if not possible.
pub fn pin_to(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it; sched_setaffinity reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}
