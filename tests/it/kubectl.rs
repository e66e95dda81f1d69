//! kubectl: see below.
