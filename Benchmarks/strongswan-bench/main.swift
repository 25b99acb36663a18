print("strongswan-bench: placeholder until the performance issue lands")
