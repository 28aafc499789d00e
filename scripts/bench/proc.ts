/**
 * What Linux's /proc says about a process: CPU time consumed and resident memory. Read from the
 * outside, so the figures cost the measured process nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // the value on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) used by process `pid` so far; NaN if unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name, in parentheses, may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc(5); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds spent by all processes of the machine, in user and system mode (the `cpu` line of
 * /proc/stat, without idle, iowait, and interrupt time); NaN if unreadable.
 */
export function machineCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const [user, nice, system] = line.trim().split(/\s+/).slice(1, 4).map(Number);
    return (user! + nice! + system!) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of process `pid` in bytes (VmRSS in /proc/PID/status). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** The soft and hard limits on open files of this process (`ulimit -n`, `ulimit -Hn`). */
export function openFileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'latin1');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (v: string | undefined): number => (v === undefined || v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}
