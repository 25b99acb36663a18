print("fake-charon: placeholder until the performance issue lands")
