// Puppeteer (a dependency of the Mermaid CLI, used to test the Mermaid charts) must not download its
// own Chrome on install: the charts render with Debian's chromium (scripts/mermaid/puppeteer-config.json).
module.exports = { skipDownload: true };
