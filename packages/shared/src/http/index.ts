export * from './access-log'
export * from './problem'
