/**
 * Shell: does the value, placed into a command line as an argument, end the
 * argument and run a command of its own?
 *
 * The breaking token is a command separator (`;`, `|`, `||`, `&`, `&&`, a
 * newline) or a command substitution (`$(`, a backquote). Findings are named
 * for the unquoted context (inside quotes the value would first have to close
 * them: the separator after the quote is the same finding). A finding needs a
 * command word after it: a name from the lexicon of programs an attacker
 * runs (shells, interpreters, network and file tools), or an absolute path
 * (`/bin/sh`). Names that are also common words (cat, id, find, sleep, echo,
 * …) need shell-shaped arguments (an option `-x`, a path, a redirection, a
 * variable) or a substitution around them, so `Tom & Jerry` or `fun & free`
 * are text. Bash function definitions in a value (`() {`, Shellshock) are
 * found too. Every finding is strong.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

/** Programs whose name is not an everyday word: a command on its own is enough. */
const DISTINCT = new Set(['sh', 'bash', 'zsh', 'ksh', 'csh', 'tcsh', 'dash', 'ash', 'busybox', 'ls', 'wget', 'curl', 'nc', 'ncat', 'netcat', 'socat', 'telnet',
  'ssh', 'scp', 'sftp', 'tftp', 'ftp', 'rm', 'rmdir', 'chmod', 'chown', 'chgrp', 'uname', 'whoami', 'ifconfig', 'ipconfig', 'netstat', 'nslookup', 'dig',
  'ping', 'traceroute', 'python', 'python2', 'python3', 'perl', 'php', 'ruby', 'lua', 'node', 'nodejs', 'java', 'gcc', 'cc', 'powershell', 'pwsh',
  'cmd', 'cmd.exe', 'mkfifo', 'mknod', 'passwd', 'useradd', 'usermod', 'sudo', 'su', 'crontab', 'nohup', 'xargs', 'base64', 'xxd', 'certutil',
  'bitsadmin', 'wmic', 'systeminfo', 'tasklist', 'taskkill', 'reg', 'regsvr32', 'rundll32', 'mshta', 'cscript', 'wscript', 'awk', 'gawk', 'sed',
  'grep', 'egrep', 'tar', 'gzip', 'gunzip', 'unzip', 'dd', 'ps', 'pwd', 'hostname', 'uptime', 'lsof', 'env', 'printenv', 'chattr', 'iptables', 'nmap',
  'whois', 'ln', 'mv', 'cp', 'cat', 'id', 'echo', 'sleep', 'dir', 'ver', 'vol', 'net', 'type', 'kill', 'pkill', 'killall', 'exec', 'eval', 'export',
  'find', 'head', 'tail', 'more', 'less', 'touch', 'mkdir', 'which', 'who', 'w', 'last', 'date', 'time', 'sort', 'uniq', 'cut', 'tee', 'od', 'strings',
  'file', 'test', 'true', 'false', 'yes', 'set', 'unset', 'source', 'shutdown', 'reboot', 'halt', 'init', 'systemctl', 'service', 'mount', 'umount'])
/** …of which these are also everyday words: they need shell-shaped arguments or a substitution. */
const WORDLIKE = new Set(['cat', 'id', 'echo', 'sleep', 'dir', 'ver', 'vol', 'net', 'type', 'kill', 'exec', 'eval', 'export', 'find', 'head', 'tail',
  'more', 'less', 'touch', 'which', 'who', 'w', 'last', 'date', 'time', 'sort', 'cut', 'tee', 'file', 'test', 'true', 'false', 'yes', 'set', 'unset',
  'source', 'init', 'service', 'mount', 'halt', 'strings', 'env', 'ps', 'sed', 'awk', 'dd', 'ln', 'mv', 'cp', 'su', 'cc', 'node', 'java', 'reg',
  'ping', 'dig', 'tar', 'passwd', 'shutdown', 'reboot', 'uptime', 'hostname', 'whois', 'mkdir', 'uniq', 'od', 'ftp'])

function isSpace (c: number): boolean { return c === 32 || c === 9 }
function isWordChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46 || c === 47 || c === 43 || c === 126 || c === 44 || c === 58 || c === 61 || c === 64 || c === 37
}

/** Past blanks; `${IFS}` and `$IFS` count as blanks (the shell splits on them). */
function skipBlanks (text: string, k: number): number {
  const len = text.length
  for (;;) {
    while (k < len && isSpace(text.charCodeAt(k))) k++
    if (text.charCodeAt(k) !== 36) return k
    if (text.startsWith('${IFS}', k)) { k += 6; continue }
    if (text.startsWith('$IFS', k)) { k += 4; continue }
    return k
  }
}

interface Cmd { word: string, start: number, end: number, shaped: boolean, argsEnd: number, atEnd: boolean }

/** The command at text[i…] (after blanks; `${IFS}` counts as a blank): its word and whether its arguments look like shell arguments. */
function commandAt (text: string, i: number, work: Work): Cmd | null {
  const len = text.length
  let k = skipBlanks(text, i)
  // quotes around or inside the command word are removed by the shell: c'a't
  const ws = k
  let word = ''
  while (k < len && word.length < 64) {
    const c = text.charCodeAt(k)
    if (c === 39 || c === 34 || c === 92) { k++; continue }
    if (!isWordChar(c)) break
    word += String.fromCharCode(c)
    k++
  }
  work.n += k - i
  if (word === '') return null
  // arguments up to the next separator
  let shaped = false
  let blank = true
  let j = k
  let args = 0
  while (j < len && args < 256) {
    const c = text.charCodeAt(j)
    if (c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || c === 41) break
    if (!isSpace(c)) blank = false
    if (!isSpace(c) && (j === k || isSpace(text.charCodeAt(j - 1)))) {
      // start of an argument
      if (c === 45 || c === 47 || c === 36 || c === 62 || c === 60 || c === 126 || (c === 46 && text.charCodeAt(j + 1) === 47)) shaped = true
    }
    if (c === 62 || c === 60) shaped = true
    j++
    args++
  }
  work.n += j - k
  return { word: word.toLowerCase(), start: ws, end: k, shaped, argsEnd: j, atEnd: blank && j >= len }
}

/**
 * Whether the command after a separator is one: a distinct program, an
 * absolute path to one, or an everyday-word program with shell-shaped
 * arguments, inside a substitution, or alone at the end of the value after a
 * separator text rarely uses there (`;`, `|`, `&&`, `||`, a newline; not a
 * single `&`, as in "fun & free" or "B&W").
 */
function isCommand (cmd: Cmd, substituted: boolean, sep: string, atEnd: boolean): boolean {
  const base = cmd.word.includes('/') ? cmd.word.slice(cmd.word.lastIndexOf('/') + 1) : cmd.word
  if (cmd.word.startsWith('/') && /^\/(usr\/|s?bin\/|bin\/|tmp\/|dev\/|etc\/|var\/|opt\/)/.test(cmd.word) && base !== '') return true
  if (!DISTINCT.has(base)) return false
  if (!WORDLIKE.has(base)) return true
  if (substituted || cmd.shaped) return true
  return atEnd && sep !== '&' && base.length >= 2
}

const SEPARATORS: ReadonlyArray<[string, string]> = [['$(', 'command substitution'], ['`', 'command substitution'], ['&&', 'and-list'], ['||', 'or-list'],
  [';', 'command separator'], ['|', 'pipe'], ['&', 'background separator'], ['\n', 'newline'], ['\r', 'newline']]

/** The first separator or substitution in text[from…] that is followed by a command, or null. */
function firstCommand (text: string, from: number, context: string, work: Work): GrammarFinding | null {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!(c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || (c === 36 && text.charCodeAt(i + 1) === 40))) continue
    let sep = ''
    let kind = ''
    for (const [s, k] of SEPARATORS) if (text.startsWith(s, i)) { sep = s; kind = k; break }
    if (sep === '') continue
    const sub = kind === 'command substitution'
    const cmd = commandAt(text, i + sep.length, work)
    if (cmd != null && isCommand(cmd, sub, sep, cmd.atEnd)) {
      return { grammar: 'shell', context, token: sep, offset: i, span: text.slice(i, Math.min(cmd.argsEnd + (sub ? 1 : 0), i + 256)), fingerprint: `${sep.trim() === '' ? 'NL' : sep}${cmd.word}${cmd.shaped ? ' -' : ''}`, strength: 'strong', why: `a ${kind} runs ${cmd.word}` }
    }
    i += sep.length - 1
  }
  work.n += text.length - from
  return null
}

/** Shell findings of one decoded value. */
export function inspectShell (text: string, work: Work, out: GrammarFinding[]): void {
  // Shellshock: a bash function definition exported through the environment
  const t0 = text.trimStart()
  if (t0.startsWith('() {') || t0.startsWith('(){')) {
    const at = text.length - t0.length
    out.push({ grammar: 'shell', context: 'environment variable', token: '() {', offset: at, span: text.slice(at, at + 256), fingerprint: '(){', strength: 'strong', why: 'defines a bash function (Shellshock)' })
    return
  }
  const f = firstCommand(text, 0, 'argument', work)
  if (f != null) out.push(f)
}
