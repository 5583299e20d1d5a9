import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds a process has used so far (user + system, from /proc), or NaN where there is no
 * /proc (not Linux) or the process is gone. Benchmarks read it before and after a phase to say
 * what each side (the bot, the database) spent on it. With `thread`, that one thread's (a process's
 * main thread has its pid as its id).
 */
export function cpuSeconds(pid: number | undefined, thread?: number): number {
  if (!pid) return NaN;
  try {
    // Fields after the command name (which may hold spaces), from the 3rd: utime is the 14th, stime the 15th.
    const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every mainstream kernel. */
const CLOCK_TICKS = 100;

/**
 * The embedded database server this process started (a child whose command line names FerretDB
 * or mongod), for its CPU; undefined when the database is elsewhere (MONGODB_URI) or not Linux.
 */
export function databasePid(): number | undefined {
  try {
    const children = readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
    return children.find((pid) => /ferretdb|mongod/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
  } catch {
    return undefined;
  }
}
