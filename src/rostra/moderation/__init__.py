"""Comment moderation: an ordered pipeline of small phases, a per-site policy, and their memory.

* ``record`` -- what phases see and say (submission, verdict, moderation record);
* ``phases/`` -- rate limits, language, history, word lists, links, spam, duplicates, toxicity,
  the optional signed external phase;
* ``policy`` -- a site's ``moderation`` settings, pre-moderation and the final verdict;
* ``pipeline`` -- runs the phases in order;
* ``state`` -- counters, fingerprints and history: the port the phases read, and its in-memory
  version (the database's is ``rostra.storage.moderation``);
* ``moderator`` -- the pipeline behind the services' ``Moderator`` seam;
* ``cli`` / ``evaluation`` -- ``rostra moderate`` and ``rostra moderation eval``;
* ``normalize`` and ``classifier/`` -- evasion-resistant normalisation and the toxicity model.
"""
