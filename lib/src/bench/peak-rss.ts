import * as fs from "node:fs";

/**
 * Peak resident memory of this process in MB: the kernel's VmHWM (all threads, and memory that no JavaScript
 * counter sees, such as TensorFlow's own allocator on the native backend), else Node's `maxRSS` where /proc is
 * not there.
 */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // no /proc: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
