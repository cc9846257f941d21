// CPU time of another process split into its main (gRPC) thread and all other threads (inference workers, libuv,
// V8 helpers), from /proc (Linux). Used to show where the CPU of each served request goes.
import * as fs from 'node:fs';

export interface ThreadCpuMs {
  main: number;
  other: number;
}

export function threadCpuMs(pid: number): ThreadCpuMs | undefined {
  const dir = `/proc/${pid}/task`;
  if (!fs.existsSync(dir)) return undefined;
  const tickMs = 1000 / 100; // USER_HZ is 100 on Linux
  const out = { main: 0, other: 0 };
  for (const tid of fs.readdirSync(dir)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`${dir}/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * tickMs; // utime + stime
    if (tid === String(pid)) out.main += ms;
    else out.other += ms;
  }
  return out;
}
