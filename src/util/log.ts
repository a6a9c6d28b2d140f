/**
 * Redis-style log lines: `pid:M 22 Nov 2026 05:04:40.008 * Ready to accept connections tcp`.
 * Level marks as Redis: '.' debug, '-' verbose, '*' notice, '#' warning.
 */

import fs from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

const LEVELS: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARKS = ['.', '-', '*', '#'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function formatLogTime(d: Date): string {
  return `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export class Logger {
  level: number;
  private fd: number;
  private readonly role: string;

  constructor(level: LogLevel = 'notice', file = '', role = 'M') {
    this.level = LEVELS[level];
    this.role = role;
    this.fd = file ? fs.openSync(file, 'a') : 1;
  }

  setLevel(level: LogLevel): void {
    this.level = LEVELS[level];
  }

  log(level: LogLevel, msg: string): void {
    const l = LEVELS[level];
    if (l < this.level) return;
    const line = `${process.pid}:${this.role} ${formatLogTime(new Date())} ${MARKS[l]} ${msg}\n`;
    try {
      fs.writeSync(this.fd, line);
    } catch {
      // a closed stdout must not kill the server
    }
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  verbose(msg: string): void {
    this.log('verbose', msg);
  }
  notice(msg: string): void {
    this.log('notice', msg);
  }
  warning(msg: string): void {
    this.log('warning', msg);
  }

  close(): void {
    if (this.fd > 2) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // ignore
      }
      this.fd = 1;
    }
  }
}
