"""Route handlers of the simulator: Gainsight APIs (people, companies, events) and the admin API."""
