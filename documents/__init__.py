"""Processing of the files a firm's work is made of, on local paths.

Every function takes the path of a plaintext file the caller has decrypted to private storage and
writes its outputs to paths the caller gives; nothing here knows about the store, the API or
Temporal. `sniff` says what an upload really is, `pdf_facts` and `court_checks` inspect PDFs the way
courts do, `text` extracts (or OCRs) text page by page, and `bates`, `exhibits` and `production`
produce the stamped copies, exhibit bundles and production volumes the automated steps deliver.
"""
