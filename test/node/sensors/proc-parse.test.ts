import { describe, expect, it } from 'vitest'
import {
  argv0Basename, cellMetrics, hostCpuPct, matchesCommand, parseChildren, parseCmdline, parseDiskstats, parseFileNr,
  parseHostStat, parseLoadavg, parseMeminfo, parseProcIo, parseProcStat, parseProcStatus, parseSockstat, parseStatm,
  parseUptime, ratePerSec, treeDelta
} from '../../../node/sensors/proc-parse.js'
import type { TreeSample } from '../../../node/sensors/proc-parse.js'

const STAT = '7718 (my (odd) proc) S 7712 7712 3693 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0 39785 3133440 359 18446744073709551615 94899777605632 94899777625513 140727301710464 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0'

describe('proc parsers', () => {
  it('parses /proc/<pid>/stat, with spaces and parentheses in comm', () => {
    expect(parseProcStat(STAT)).toEqual({ pid: 7718, comm: 'my (odd) proc', state: 'S', ppid: 7712, utime: 250, stime: 50, threads: 3, starttime: 39785, rssPages: 359 })
    expect(parseProcStat('garbage')).toBeNull()
    expect(parseProcStat('12 (x) S 1 2 3')).toBeNull()
  })

  it('parses status, statm, io, children and cmdline', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tS (sleeping)\nVmRSS:\t    1964 kB\nThreads:\t7\n')).toEqual({ name: 'node', rssBytes: 1964 * 1024, threads: 7 })
    expect(parseProcStatus('Name:\tkthreadd\nThreads:\t1\n')).toEqual({ name: 'kthreadd', rssBytes: 0, threads: 1 })
    expect(parseStatm('765 439 411 5 0 123 0\n')).toEqual({ residentPages: 439 })
    expect(parseProcIo('rchar: 6976\nwchar: 10\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n')).toEqual({ rchar: 6976, wchar: 10, readBytes: 4096, writeBytes: 0 })
    expect(parseProcIo('')).toBeNull()
    expect(parseChildren('101 102 \n')).toEqual([101, 102])
    expect(parseChildren('')).toEqual([])
    expect(parseCmdline('/usr/bin/node\0-e\0x\0')).toEqual(['/usr/bin/node', '-e', 'x'])
    expect(argv0Basename('/usr/sbin/nginx\0-g\0daemon off;\0')).toBe('nginx')
    expect(argv0Basename('')).toBe('')
  })

  it('matches commands by comm (cut to 15 characters) or argv[0] basename', () => {
    expect(matchesCommand('nginx', 'nginx', '')).toBe(true)
    expect(matchesCommand('a-very-long-daemon-name', 'a-very-long-dae', '')).toBe(true)
    expect(matchesCommand('myapp', 'node', '/opt/bin/myapp\0--port\0')).toBe(true)
    expect(matchesCommand('myapp', 'node', '/usr/bin/node\0myapp\0')).toBe(false)
    expect(matchesCommand('ngin', 'nginx', '/usr/sbin/nginx\0')).toBe(false)
  })

  it('parses host files', () => {
    const stat = 'cpu  9254 0 1565 68345 75 0 95 70 0 0\ncpu0 4694 0 807 34092 43 0 41 32 0 0\ncpu1 4560 0 758 34253 31 0 53 38 0 0\nprocesses 7717\n'
    expect(parseHostStat(stat)).toEqual({ total: 9254 + 1565 + 68345 + 75 + 95 + 70, busy: 9254 + 1565 + 95 + 70, cpus: 2 })
    expect(parseHostStat('intr 1\n')).toBeNull()
    expect(parseMeminfo('MemTotal:       24684092 kB\nMemFree:        23889308 kB\nMemAvailable:   24275620 kB\n')).toEqual({ totalBytes: 24684092 * 1024, usedBytes: (24684092 - 24275620) * 1024 })
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n')).toEqual({ totalBytes: 1024000, usedBytes: 600 * 1024 })
    expect(parseLoadavg('0.80 0.35 0.15 6/120 7667\n')).toEqual({ load1: 0.8, running: 6, threads: 120 })
    expect(parseSockstat('sockets: used 16\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 132\n')).toBe(16)
    expect(parseFileNr('495\t0\t2466177\n')).toBe(495)
    expect(parseUptime('12345.67 2345.60\n')).toBe(12345.67)
  })

  it('sums whole disks only from diskstats', () => {
    const text = [
      '   7       0 loop0 100 0 800 0 0 0 0 0 0 0 0',
      ' 252       0 vda 10 0 1000 5 20 0 2000 9 0 0 0',
      ' 252       1 vda1 9 0 900 5 19 0 1900 9 0 0 0',
      ' 259       0 nvme0n1 1 0 10 0 2 0 20 0 0 0 0',
      ' 259       1 nvme0n1p1 1 0 10 0 2 0 20 0 0 0 0',
      ' 254       0 dm-0 1 0 999 0 2 0 999 0 0 0 0',
      '   8      16 sdb 1 0 4 0 1 0 8 0 0 0 0'
    ].join('\n')
    expect(parseDiskstats(text)).toEqual({ readBytes: (1000 + 10 + 4) * 512, writeBytes: (2000 + 20 + 8) * 512 })
  })

  it('computes rates and host CPU', () => {
    expect(ratePerSec(100, 600, 5000)).toBe(100)
    expect(ratePerSec(600, 100, 5000)).toBe(0)
    expect(ratePerSec(100, 600, 0)).toBe(0)
    expect(hostCpuPct({ total: 1000, busy: 100, cpus: 2 }, { total: 1200, busy: 200, cpus: 2 })).toBe(100)
  })

  it('computes a tree\'s interval member by member (exited and new children)', () => {
    const prev: TreeSample = {
      at: 0,
      uptimeSec: 100,
      procs: new Map([
        [10, { starttime: 500, cpuTicks: 1000, readBytes: 0, writeBytes: 0 }],
        [11, { starttime: 600, cpuTicks: 400, readBytes: 1000, writeBytes: 0 }], // exits
        [12, { starttime: 700, cpuTicks: 50, readBytes: 0, writeBytes: 0 }] // pid reused below
      ]),
      rssBytes: 1, threads: 3, openFiles: 3, sockets: 0, children: 2
    }
    const cur: TreeSample = {
      at: 5000,
      uptimeSec: 105,
      procs: new Map([
        [10, { starttime: 500, cpuTicks: 1200, readBytes: 5000, writeBytes: 1000 }],
        [12, { starttime: 10_100, cpuTicks: 30, readBytes: 0, writeBytes: 0 }], // started after prev (uptime 100 s = 10000 ticks)
        [13, { starttime: 650, cpuTicks: 9999, readBytes: 9999, writeBytes: 9999 }] // old process newly seen: baseline only
      ]),
      rssBytes: 4096, threads: 5, openFiles: 7, sockets: 2, children: 2
    }
    expect(treeDelta(prev, cur, 100)).toEqual({ cpuTicks: 230, readBytes: 5000, writeBytes: 1000 })
    expect(cellMetrics(prev, cur, 100)).toEqual({ cpuPct: 46, rssBytes: 4096, threads: 5, openFiles: 7, sockets: 2, readBytesPerSec: 1000, writeBytesPerSec: 200, children: 2 })
  })
})
