"""XML for the classic connector: SOAP 1.1 envelopes and SSDN documents (lxml, defused)."""
