/** The logging surface the respond/ and supervisor/ parts need; a pino logger fits it. */
export interface LogSink {
  debug: (obj: object, msg?: string) => void
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
  error: (obj: object, msg?: string) => void
}

export const silentLog: LogSink = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {}
}
