// No native extractor: msgpackr (used by BullMQ) then decodes with its pure-JS path.
module.exports = null;
