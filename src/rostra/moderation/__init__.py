"""Comment moderation: text normalisation, word lists and the toxicity classifier."""
