import '../protocol/polyfill.js'
