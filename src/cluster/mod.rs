//! The live cluster: connecting through kube and gathering objects for the facts.
