package io.dvs.client.data;

/** Where one logical block lives: physical address {@code pa} in storage node {@code snId}. */
public record BlockAddress(int snId, long pa) {}
