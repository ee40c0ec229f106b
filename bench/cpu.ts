import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per component of the stack, from /proc: where a delivery's cost goes (the profile
 * that picks which path to optimise). Postgres counts its main process and every backend.
 */
export type CpuComponents = Record<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces); [] once exited. */
function statFields(pid: number | string): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

function processCpuMs(pid: number): number {
  const fields = statFields(pid); // utime is the 12th field of these, stime the 13th
  return fields.length ? ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND : 0;
}

/** CPU of a process's children that exited and were waited for (cutime + cstime). */
function reapedChildrenCpuMs(pid: number): number {
  const fields = statFields(pid); // cutime is the 14th field of these, cstime the 15th
  return fields.length ? ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND : 0;
}

function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(statFields(entry)[1]) === parent)
    .map(Number);
}

/** `postmaster`: Postgres's main process (as `postgres`), or several by name (a cluster's two instances). */
export function cpuSnapshot(pids: Record<string, number | undefined>, postmaster?: number | Record<string, number>): CpuComponents {
  const out: CpuComponents = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = pid ? processCpuMs(pid) : 0;
  const postmasters = typeof postmaster === 'number' ? { postgres: postmaster } : (postmaster ?? {});
  // Plus the CPU of the backends that exited (the pools close idle connections after 10 s): the
  // postmaster reaps them, so it counts in its cutime/cstime; without it a phase where a backend
  // exits loses that backend's whole life and can read 0.
  for (const [name, pid] of Object.entries(postmasters))
    out[name] = [pid, ...childrenOf(pid)].reduce((sum, p) => sum + processCpuMs(p), reapedChildrenCpuMs(pid));
  return out;
}

/** CPU milliseconds each component spent between two snapshots, per unit of work. */
export function cpuPer(before: CpuComponents, after: CpuComponents, units: number): Record<string, number> {
  // A backend that exited between the snapshots takes its CPU time with it: never below zero.
  const per = Object.fromEntries(Object.keys(after).map((k) => [k, Math.max(0, Math.round(((after[k] - (before[k] ?? 0)) / units) * 100) / 100)]));
  per.total = Math.round(Object.values(per).reduce((a, b) => a + b, 0) * 100) / 100;
  return per;
}
