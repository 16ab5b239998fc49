export * from './article'
