"""The vidiflow-auth benchmark suite (issue 7): see benches/README.md.

``python -m vfbench.run`` runs every measurement against dev authorities it starts itself and
writes the raw results as JSON; ``python -m vfbench.report`` turns them into benches/REPORT.md.
``make bench`` does both, after building what they need.
"""
