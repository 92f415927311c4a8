"""The domain at the bottom of the house: the factor, sentiment and region vocabularies, a
council and its sources, and the validated settings (the watch list).

Every layer may import it (crawlers, pipelines, store, classifiers, alerts, and the `radar`
CLI above them all); it imports none of them, so a change to a layer never reaches down here.
"""

__version__ = "0.1.0"
